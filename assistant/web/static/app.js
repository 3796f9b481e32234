(text, lang) => {
  // "Copy answer": put the plain answer text (hidden #answer-plain) on the clipboard, in the browser.
  // This file is one function expression (the click handler's js=), so nothing may come before it.
  const s = text || "";
  if (s) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(s).catch(() => {});
    } else {
      const ta = document.createElement("textarea");
      ta.value = s; ta.style.position = "fixed"; ta.style.opacity = "0";
      document.body.appendChild(ta); ta.select(); document.execCommand("copy"); ta.remove();
    }
  }
  return [text, lang];
}
