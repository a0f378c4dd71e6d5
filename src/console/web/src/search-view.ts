/**
 * Search (DESIGN.md §1 row 8): one box; results grouped by chat, hits oldest first inside a
 * group (as the daemon returns them), matches highlighted. A hit opens the chat at that message,
 * highlighted. Arrow keys move between hits, Enter opens one.
 */
import { errorText } from './actions.ts';
import type { Ctx } from './context.ts';
import { fill, h, setText } from './dom.ts';
import { fullTime, shortTime } from './format.ts';
import { SEARCH, type SearchGroup } from './gql.ts';

export class SearchView {
  readonly el: HTMLElement;
  private readonly heading: HTMLElement;
  private readonly results: HTMLElement;
  private seq = 0;
  query = '';

  constructor(private readonly ctx: Ctx) {
    this.heading = h('h2');
    this.results = h('div.search-results', { 'data-testid': 'search-results' });
    this.el = h('section.page.search', { 'aria-label': ctx.t.views.search }, h('header.page-head', null, this.heading), this.results);
    this.results.addEventListener('keydown', (e) => {
      const hits = [...this.results.querySelectorAll<HTMLElement>('.hit-row')];
      const i = hits.indexOf(document.activeElement as HTMLElement);
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        hits[Math.max(0, Math.min(hits.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)))]?.focus();
      }
    });
  }

  async run(query: string): Promise<void> {
    const seq = ++this.seq;
    this.query = query;
    const t = this.ctx.t;
    setText(this.heading, t.searching(query));
    fill(this.results);
    let groups: SearchGroup[];
    try {
      groups = (await this.ctx.api.request<{ search: SearchGroup[] }>(SEARCH, { q: query })).search;
    } catch (e) {
      if (seq === this.seq) fill(this.results, h('p.error', { text: errorText(this.ctx, e) }));
      return;
    }
    if (seq !== this.seq) return;
    const hitCount = groups.reduce((n, g) => n + g.hits.length, 0);
    setText(this.heading, t.searchResults(query, hitCount, groups.length));
    if (groups.length === 0) {
      fill(this.results, h('p.empty', { text: t.nothingFound }));
      return;
    }
    fill(
      this.results,
      groups.map((g) =>
        h(
          'section.group',
          { 'data-chat-id': g.chat.id },
          h('h3', null, h('span', { text: g.chat.title }), h('small', { text: ` · ${t.kinds[g.chat.kind]} · ${t.hits(g.hits.length)}` })),
          g.hits.map((hit) => {
            const snippet = h('span.snippet');
            for (const s of hit.snippet.segments) snippet.append(s.isMatch ? h('mark', { text: s.text }) : s.text);
            return h(
              'button.hit-row',
              { type: 'button', 'data-message-id': hit.message.id, onclick: () => this.ctx.openChat(g.chat.id, { around: hit.message.id, focus: true }) },
              h('time', { datetime: hit.message.date, title: fullTime(hit.message.date), text: shortTime(hit.message.date) }),
              h('span.hit-sender', { text: hit.message.sender.name }),
              snippet,
            );
          }),
        ),
      ),
    );
    this.results.querySelector<HTMLElement>('.hit-row')?.focus();
  }
}
