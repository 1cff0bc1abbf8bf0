// Keyboard shortcuts for the common actions (the help overlay lists them).

import { LAYERS } from "./layers.js";

export function installKeys(app) {
  document.addEventListener("keydown", (e) => {
    const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLTextAreaElement;
    if (e.key === "Escape") {
      if (typing) e.target.blur();
      app.search.close();
      app.toggleHelp(false);
      app.select(null);
      return;
    }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    const layer = LAYERS.find((l) => l.key === e.key);
    if (layer) {
      app.setLayer(layer.id, !app.state.layers[layer.id]);
      return;
    }
    switch (e.key) {
      case "/":
        e.preventDefault();
        app.search.focus();
        break;
      case " ":
        e.preventDefault();
        if (e.target instanceof HTMLButtonElement) e.target.blur();
        app.timeline.toggle();
        break;
      case "l":
      case "L":
        app.goLive();
        break;
      case "ArrowLeft":
        app.timeline.step(-60);
        break;
      case "ArrowRight":
        if (app.state.at != null) app.timeline.step(60);
        break;
      case "a":
      case "A": {
        const a = app.alerts.newest();
        if (a) app.alerts.go(a);
        break;
      }
      case "?":
        app.toggleHelp();
        break;
      default:
    }
  });
}
