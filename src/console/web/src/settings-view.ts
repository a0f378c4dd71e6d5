/**
 * Settings: the member's sending preferences (typing status, link previews: the daemon honours
 * them on every send), the console's language, the member's alert channels, and desktop
 * notifications for this browser: this device notifies even while the phone is muted for
 * off-duty (DESIGN.md §1 row 17).
 */
import { errorText } from './actions.ts';
import type { Ctx } from './context.ts';
import { fill, h } from './dom.ts';
import { ALERT_CHANNELS, ALERTS, PREFERENCES, SET_ALERT_CHANNELS, SET_PREFERENCES, type AlertData, type Preferences } from './gql.ts';
import type { Lang } from './i18n.ts';
import { toast } from './ui.ts';

const NOTIFY_KEY = 'tgdesk.console.notify';

export function notificationsWanted(): boolean {
  try {
    return localStorage.getItem(NOTIFY_KEY) === 'on';
  } catch {
    return false;
  }
}

function setNotificationsWanted(on: boolean): void {
  try {
    localStorage.setItem(NOTIFY_KEY, on ? 'on' : 'off');
  } catch {
    // Without storage the choice lasts until the page closes.
  }
}

/** Desktop notifications of the member's alerts, on this device only. */
export class DesktopNotifier {
  private stop: (() => void) | null = null;
  private readonly seen = new Set<string>();

  constructor(private readonly ctx: Ctx) {}

  get supported(): boolean {
    return typeof Notification !== 'undefined';
  }

  get active(): boolean {
    return this.stop !== null;
  }

  /** Starts when this device opted in and the browser allows it. */
  sync(): void {
    const want = this.ctx.caps.alerts && this.supported && notificationsWanted() && Notification.permission === 'granted';
    if (want && !this.stop) {
      this.stop = this.ctx.api.subscribe<{ alerts: AlertData }>(ALERTS, {}, (d) => this.show(d.alerts));
    } else if (!want && this.stop) {
      this.stop();
      this.stop = null;
    }
  }

  private show(a: AlertData): void {
    if (this.seen.has(a.id)) return;
    this.seen.add(a.id);
    const t = this.ctx.t;
    const n = new Notification(`${t.alertKinds[a.kind]} · ${a.chatTitle}`, { body: a.text, tag: a.id, requireInteraction: a.kind === 'ALARM' });
    n.onclick = () => {
      window.focus();
      this.ctx.openChat(a.chatId, { focus: true });
      n.close();
    };
  }

  async enable(on: boolean): Promise<string> {
    const t = this.ctx.t;
    if (!this.supported) return t.notificationsUnsupported;
    if (on && Notification.permission !== 'granted') {
      const p = await Notification.requestPermission();
      if (p !== 'granted') {
        setNotificationsWanted(false);
        this.sync();
        return t.notificationsDenied;
      }
    }
    setNotificationsWanted(on);
    this.sync();
    return on ? t.notificationsOn : t.notificationsOff;
  }
}

export class SettingsView {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;

  constructor(
    private readonly ctx: Ctx,
    private readonly notifier: DesktopNotifier,
    private readonly onPrefs: (p: Preferences) => void,
    private readonly onLang: (lang: Lang) => void,
    private readonly onSignOut: () => void,
  ) {
    this.body = h('div.settings');
    this.el = h('section.page.settings-page', { 'aria-label': ctx.t.views.settings }, h('header.page-head', null, h('h2', { text: ctx.t.views.settings })), this.body);
  }

  async render(): Promise<void> {
    const t = this.ctx.t;
    let prefs: Preferences | null = null;
    let channels: string[] | null = null;
    try {
      prefs = (await this.ctx.api.request<{ preferences: Preferences | null }>(PREFERENCES)).preferences;
      if (this.ctx.caps.alerts) channels = (await this.ctx.api.request<{ alertChannels: string[] }>(ALERT_CHANNELS)).alertChannels;
    } catch (e) {
      toast(errorText(this.ctx, e), 'error');
    }
    const typing = h('input', { type: 'checkbox', name: 'sendTyping', checked: prefs?.sendTyping ?? false });
    const previews = h('input', { type: 'checkbox', name: 'linkPreviews', checked: prefs?.linkPreviews ?? true });
    const savePrefs = async () => {
      try {
        const d = await this.ctx.api.request<{ setPreferences: Preferences }>(SET_PREFERENCES, { typing: typing.checked, previews: previews.checked });
        this.onPrefs(d.setPreferences);
        toast(t.saved);
      } catch (e) {
        toast(errorText(this.ctx, e), 'error');
      }
    };
    typing.addEventListener('change', () => void savePrefs());
    previews.addEventListener('change', () => void savePrefs());

    const langs = (['en', 'ru'] as Lang[]).map((l) =>
      h('label.check', null, h('input', { type: 'radio', name: 'lang', value: l, checked: this.ctx.lang === l, onchange: () => this.onLang(l) }), h('span', { text: l === 'ru' ? 'Русский' : 'English' })),
    );

    const channelBoxes = (['TEAM_CHAT', 'DM'] as const).map((c) => ({ c, box: h('input', { type: 'checkbox', name: `channel-${c}`, checked: channels?.includes(c) ?? false }) }));
    const saveChannels = async () => {
      try {
        await this.ctx.api.request(SET_ALERT_CHANNELS, { ch: channelBoxes.filter((x) => x.box.checked).map((x) => x.c) });
        toast(t.saved);
      } catch (e) {
        toast(errorText(this.ctx, e), 'error');
      }
    };
    for (const { box } of channelBoxes) box.addEventListener('change', () => void saveChannels());

    const notifyBox = h('input', { type: 'checkbox', name: 'desktop', checked: this.notifier.active, disabled: !this.notifier.supported || !this.ctx.caps.alerts });
    const notifyState = h('span.note');
    notifyBox.addEventListener('change', async () => {
      notifyState.textContent = await this.notifier.enable(notifyBox.checked);
      notifyBox.checked = this.notifier.active;
    });

    fill(
      this.body,
      h(
        'fieldset',
        null,
        h('legend', { text: t.sending }),
        prefs === null ? h('p.note', { text: t.noPreferences }) : null,
        h('label.check', null, typing, h('span', { text: t.sendTypingLabel })),
        h('label.check', null, previews, h('span', { text: t.linkPreviewsLabel })),
      ),
      h('fieldset', null, h('legend', { text: t.language }), langs),
      this.ctx.caps.alerts
        ? h(
            'fieldset',
            null,
            h('legend', { text: t.alertChannels }),
            h('p.note', { text: t.alertChannelsHelp }),
            channelBoxes.map(({ c, box }) => h('label.check', null, box, h('span', { text: t.channels[c] }))),
          )
        : null,
      h('fieldset', null, h('legend', { text: t.desktopNotifications }), h('label.check', null, notifyBox, h('span', { text: t.desktopNotificationsLabel })), notifyState, !this.ctx.caps.alerts ? h('p.note', { text: t.alertsUnavailable }) : null),
      h('fieldset', null, h('legend', { text: t.session }), h('p', { text: t.signedInAs(this.ctx.member.name, this.ctx.me.name, t.apiRoles[this.ctx.me.role]) }), h('button', { type: 'button', text: t.signOut, onclick: () => this.onSignOut() })),
    );
  }
}
