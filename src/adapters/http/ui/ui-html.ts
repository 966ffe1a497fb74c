/**
 * The page frame of /ui: one inline stylesheet (light and dark by the system's choice, phone-first)
 * and, on the timeline only, one small inline script for live updates. Nothing is loaded from
 * anywhere else, and every page works without JavaScript.
 */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML content and attribute values. */
export function esc(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
}

const STYLE = `
:root{color-scheme:light dark;--bg:#fbfbfa;--fg:#1d1f21;--muted:#5f6368;--line:#dcdcdc;--card:#fff;--bad:#b3261e;--good:#1e7b34;--warn:#8a5a00;--accent:#1a5fb4}
@media (prefers-color-scheme:dark){:root{--bg:#151719;--fg:#e6e6e6;--muted:#a0a4a8;--line:#33373b;--card:#1e2124;--bad:#ff8a80;--good:#7ddc8f;--warn:#ffcc66;--accent:#8ab4f8}}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:baseline;padding:.75rem 1rem;border-bottom:1px solid var(--line)}
header b{font-size:1.05rem}nav a{margin-right:.9rem}a{color:var(--accent)}main{padding:1rem;max-width:72rem;margin:0 auto}
h1{font-size:1.3rem;margin:.2rem 0 .8rem}h2{font-size:1.05rem;margin:1.4rem 0 .5rem}
.muted{color:var(--muted)}.bad{color:var(--bad)}.good{color:var(--good)}.warn{color:var(--warn)}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:.85rem}.wrap{overflow-x:auto}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin-bottom:1rem}
label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted)}
input,select,button{font:inherit;padding:.35rem .5rem;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg)}
button{cursor:pointer}.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem;margin:.6rem 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}dt{color:var(--muted)}dd{margin:0}
pre{white-space:pre-wrap;word-break:break-word;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:.6rem;font-size:.85rem;max-height:24rem;overflow:auto}
.sev-high{color:var(--bad);font-weight:600}.sev-medium{color:var(--warn)}.sev-low{color:var(--muted)}
#live{font-size:.8rem}.new{animation:flash 2s ease-out}@keyframes flash{from{background:rgba(255,200,0,.35)}to{background:transparent}}
svg.axis{width:100%;height:auto;display:block}svg.axis text{fill:var(--muted);font-size:11px}
.figs{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.6rem}.figs div{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.6rem}
.figs b{display:block;font-size:1.2rem}
@media (max-width:640px){.hide-phone{display:none}main{padding:.6rem}td,th{padding:.35rem .3rem}}
`;

export interface PageOptions {
  readonly title: string;
  /** The nav entry to mark. */
  readonly active?: 'timeline' | 'report';
  readonly script?: string;
  /** Show the sign-out button (there is a session to end). */
  readonly signOut?: boolean;
}

export function page(body: string, opts: PageOptions): string {
  const nav = [
    ['timeline', '/ui', 'Timeline'],
    ['report', '/ui/report', 'Report'],
  ]
    .map(([key, href, label]) => `<a href="${href}"${opts.active === key ? ' aria-current="page"' : ''}>${label}</a>`)
    .join('');
  const signOut = opts.signOut ? '<form method="post" action="/ui/logout" style="margin-left:auto"><button type="submit">Sign out</button></form>' : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${esc(opts.title)} · container doctor</title><style>${STYLE}</style></head>
<body><header><b>container doctor</b><nav>${nav}</nav>${signOut}</header><main>${body}</main>${opts.script ? `<script>${opts.script}</script>` : ''}</body></html>`;
}

/**
 * Live timeline: each `incident` event becomes a row at the top when it matches the filters in
 * the form (the same fields the server filters on); the page works without it.
 */
export const LIVE_SCRIPT = `
(function(){
  var body=document.getElementById('rows');var live=document.getElementById('live');if(!body||!window.EventSource)return;
  var form=document.querySelector('form.filters');
  function want(i){if(!form)return true;var f=new FormData(form);
    var c=f.get('container');if(c&&c!==i.container)return false;
    var s=f.get('severity');if(s&&s!==i.severity)return false;
    var d=f.get('decision');if(d&&d!==i.action)return false;return true}
  var es=new EventSource('/ui/events');
  es.onopen=function(){live.textContent='live';live.className='good'};
  es.onerror=function(){live.textContent='reconnecting';live.className='warn'};
  es.addEventListener('incident',function(e){var i=JSON.parse(e.data);if(!want(i))return;
    var empty=document.getElementById('empty');if(empty)empty.remove();
    var t=document.createElement('tbody');t.innerHTML=i.row;var tr=t.firstElementChild;tr.className='new';body.insertBefore(tr,body.firstChild);
    var n=document.getElementById('count');if(n)n.textContent=String(body.rows.length)});
})();`;
