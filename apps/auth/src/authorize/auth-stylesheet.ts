/**
 * The hosted pages' only stylesheet, served by GET /assets/auth.css: the CSP allows styles from
 * 'self' only, never inline, so an injected `style` attribute or element does nothing. A module
 * rather than a .css file so the build (tsc, no asset copying) ships it.
 */
export const AUTH_STYLESHEET = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
body { margin: 0; display: flex; justify-content: center; padding: 3rem 1rem; }
main { width: 100%; max-width: 26rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
form { display: grid; gap: 0.75rem; margin: 1rem 0; }
label { font-weight: 600; }
input[type="email"], input[type="password"], input[type="text"] { font: inherit; padding: 0.5rem; border: 1px solid #767676; border-radius: 4px; }
input:focus-visible, button:focus-visible, a:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
button { font: inherit; padding: 0.6rem 1rem; border-radius: 4px; border: 1px solid #1a5fb4; background: #1a5fb4; color: #fff; cursor: pointer; }
button.secondary { background: transparent; color: inherit; border-color: #767676; }
.buttons { display: flex; gap: 0.75rem; }
.error { color: #a51d2d; border-left: 4px solid #a51d2d; padding-left: 0.75rem; }
.status { color: #26a269; border-left: 4px solid #26a269; padding-left: 0.75rem; }
.client { font-weight: 600; }
`;
