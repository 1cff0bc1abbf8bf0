// The sign-in form: shown instead of the city when the server needs a token to
// read (its health says auth "bearer") and the tab has none, or when the one
// it has is refused. The token is kept for the tab's session (api.js).

import { keepToken } from "./api.js";

const $ = (id) => document.getElementById(id);

// askToken opens the form; refused says the last token did not work.
export function askToken(refused) {
  const dlg = $("signin");
  $("signin-msg").textContent = refused ? "That token was refused: check it, or ask for a viewer token." : "";
  $("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const t = new FormData(e.target).get("token").trim();
    if (!t) return;
    keepToken(t);
    location.reload();
  });
  dlg.showModal();
  $("signin-token").focus();
}
