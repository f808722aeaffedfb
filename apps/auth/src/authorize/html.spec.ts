import { escapeHtml, markup } from './html.js';

describe('hosted pages: HTML escaping', () => {
  it('escapes the characters that end a text node or an attribute value', () => {
    expect(escapeHtml(`<script>alert("x")</script>&'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  });

  it('escapes interpolated strings but not nested fragments', () => {
    const state = '"><img src=x onerror=alert(1)>';
    const page = markup`<input value="${state}">${markup`<b>${'<i>'}</b>`}${[markup`<li>a</li>`, markup`<li>b</li>`]}${undefined}${false}`;
    expect(page.value).toBe('<input value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"><b>&lt;i&gt;</b><li>a</li><li>b</li>');
  });
});
