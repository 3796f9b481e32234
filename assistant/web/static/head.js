(() => {
  // Runs in <head> (Gradio adds it there, possibly once the page has loaded). Three things the page needs from the browser side:

  // 1. A deliberate light theme: Gradio follows the system's dark scheme by adding "dark" to <body>;
  //    the page's palette is checked for contrast in light only, so it stays light.
  const meta = document.createElement("meta");
  meta.name = "color-scheme";
  meta.content = "light";
  document.head.appendChild(meta);
  const light = () => document.body && document.body.classList.remove("dark");
  const keepLight = () => {
    light();
    new MutationObserver(light).observe(document.body, { attributes: true, attributeFilter: ["class"] });
  };
  // Gradio may insert this script after the document has loaded
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", keepLight);
  else keepLight();

  // 2. <html lang>: zh-CN, or en once the page is switched to English (window.policyLang).
  window.policyLang = (l) => {
    document.documentElement.dataset.policyLang = l === "en" ? "en" : "zh";
    document.documentElement.lang = l === "en" ? "en" : "zh-CN";
  };
  window.policyLang("zh");
  new MutationObserver(() => {
    const want = document.documentElement.dataset.policyLang === "en" ? "en" : "zh-CN";
    if (document.documentElement.lang !== want) document.documentElement.lang = want;
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });

  // 3. The chat's copy icon copies the answer's read-out text (clause, sentences, units, validity), kept
  //    in the message as <!--readout:base64--> (render.message_html), instead of the message's Markdown.
  const READOUT = /<!--readout:([A-Za-z0-9+/=]*)-->/;
  const decode = (b) => new TextDecoder().decode(Uint8Array.from(atob(b), (c) => c.charCodeAt(0)));
  const clean = (s) => {
    const m = typeof s === "string" ? s.match(READOUT) : null;
    return m ? decode(m[1]) : s;
  };
  if (navigator.clipboard && navigator.clipboard.writeText) {
    const write = navigator.clipboard.writeText.bind(navigator.clipboard);
    navigator.clipboard.writeText = (s) => write(clean(s));
  }
  document.addEventListener(
    "copy",
    (e) => {
      const v = document.activeElement && document.activeElement.value;
      if (typeof v === "string" && READOUT.test(v)) {
        e.clipboardData.setData("text/plain", clean(v));
        e.preventDefault();
      }
    },
    true,
  );
})();
