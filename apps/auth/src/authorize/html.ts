/**
 * HTML escaping for the hosted pages. Every interpolated value goes through `escapeHtml` (text and
 * double-quoted attribute values alike): the five characters that can end a text node or an
 * attribute (OWASP XSS Prevention cheat sheet, rules 1 and 2). `escape-html` does exactly this but
 * is only a transitive dependency here, without types; this is its algorithm, kept to one line.
 */
const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A fragment of HTML already escaped (built only by `markup` below): interpolating it does not escape it again. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Interpolated = string | number | SafeHtml | readonly SafeHtml[] | undefined | null | false;

/**
 * A tagged template that escapes every interpolated string: `markup\`<p>${userText}</p>\``. Not
 * named `html`: Prettier would reformat the templates (and the tests match their exact markup). Nested
 * `markup` fragments (and arrays of them) are inserted as they are; `undefined`, `null` and `false`
 * render nothing, so `${cond && markup\`…\`}` works.
 */
export function markup(strings: TemplateStringsArray, ...values: Interpolated[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

function render(v: Interpolated): string {
  if (v === undefined || v === null || v === false) return '';
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return (v as readonly SafeHtml[]).map((f) => f.value).join('');
  return escapeHtml(String(v));
}
