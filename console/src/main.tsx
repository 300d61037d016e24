/** The console's entry point: renders the app into the page the Worker serves. */
import { render } from "preact";
import { App } from "./app.js";

const root = document.getElementById("app");
if (root === null) throw new Error("console: the page has no #app element");
root.replaceChildren();
render(<App />, root);
