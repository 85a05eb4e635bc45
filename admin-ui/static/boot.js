// Starts the admin UI. A file rather than an inline script, so the Content-Security-Policy
// (admin-ui/static/_headers) allows scripts from this origin only.
// Apply the stored theme before the app loads, so the page does not flash.
try {
  const t = localStorage.getItem("poise.theme");
  const dark = t ? t === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.dataset.theme = dark ? "dark" : "light";
} catch { /* storage disabled: the app picks a theme */ }
import init from "/admin-ui.js";
await init({ module_or_path: "/admin-ui_bg.wasm" });
