/**
 * Shared widgets: a context menu, modal dialogs and toasts, all keyboard-usable (arrows and
 * Enter in menus, Escape closes, focus returns to where it was).
 */
import { h } from './dom.ts';

export interface MenuItem {
  readonly label: string;
  readonly action: () => void;
  readonly danger?: boolean;
  readonly id?: string;
  readonly disabled?: boolean;
}

let openMenu: { el: HTMLElement; restore: Element | null; close: () => void } | null = null;

export function closeMenu(): void {
  openMenu?.close();
}

/** Opens a menu at a point (a right click) or under an element. */
export function showMenu(items: readonly MenuItem[], at: { x: number; y: number }, label: string): void {
  closeMenu();
  const restore = document.activeElement;
  const buttons = items.map((item) =>
    h('button.menu-item', {
      role: 'menuitem',
      type: 'button',
      class: item.danger ? 'danger' : '',
      'data-action': item.id ?? null,
      disabled: item.disabled ?? false,
      onclick: (e: Event) => {
        e.stopPropagation();
        close();
        item.action();
      },
      text: item.label,
    }),
  );
  const el = h('div.menu', { role: 'menu', 'aria-label': label }, buttons);
  document.body.append(el);
  const rect = el.getBoundingClientRect();
  el.style.left = `${Math.max(4, Math.min(at.x, innerWidth - rect.width - 4))}px`;
  el.style.top = `${Math.max(4, Math.min(at.y, innerHeight - rect.height - 4))}px`;
  const onKey = (e: KeyboardEvent) => {
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const step = e.key === 'ArrowDown' ? 1 : -1;
      for (let k = 1; k <= buttons.length; k++) {
        const b = buttons[(i + step * k + buttons.length * 2) % buttons.length]!;
        if (!b.disabled) {
          b.focus();
          break;
        }
      }
    } else if (e.key === 'Tab') {
      e.preventDefault();
    }
  };
  const onDown = (e: MouseEvent) => {
    if (!el.contains(e.target as Node)) close();
  };
  function close(): void {
    if (!openMenu || openMenu.el !== el) return;
    openMenu = null;
    el.remove();
    document.removeEventListener('keydown', onKey, true);
    document.removeEventListener('mousedown', onDown, true);
    if (restore instanceof HTMLElement && restore.isConnected) restore.focus();
  }
  document.addEventListener('keydown', onKey, true);
  document.addEventListener('mousedown', onDown, true);
  openMenu = { el, restore, close };
  buttons.find((b) => !b.disabled)?.focus();
}

export interface Modal {
  readonly el: HTMLElement;
  readonly body: HTMLElement;
  readonly footer: HTMLElement;
  close(): void;
}

/** A modal dialog; Escape or the backdrop closes it, focus stays inside while open. */
export function showModal(title: string, options: { wide?: boolean; onClose?: () => void } = {}): Modal {
  closeMenu();
  const restore = document.activeElement;
  const body = h('div.modal-body');
  const footer = h('div.modal-footer');
  const titleId = `m${Math.random().toString(36).slice(2)}`;
  const box = h('div.modal', { role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId, class: options.wide ? 'wide' : '' }, h('h2', { id: titleId, text: title }), body, footer);
  const backdrop = h('div.backdrop', null, box);
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close();
    } else if (e.key === 'Tab') {
      const focusable = [...box.querySelectorAll<HTMLElement>('button, input, select, textarea, a[href], [tabindex="0"]')].filter((x) => !(x as HTMLButtonElement).disabled && x.offsetParent !== null);
      if (focusable.length === 0) return;
      const first = focusable[0]!;
      const last = focusable[focusable.length - 1]!;
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
  };
  backdrop.addEventListener('mousedown', (e) => {
    if (e.target === backdrop) close();
  });
  let closed = false;
  function close(): void {
    if (closed) return;
    closed = true;
    backdrop.remove();
    document.removeEventListener('keydown', onKey, true);
    options.onClose?.();
    if (restore instanceof HTMLElement && restore.isConnected) restore.focus();
  }
  document.addEventListener('keydown', onKey, true);
  document.body.append(backdrop);
  queueMicrotask(() => (box.querySelector<HTMLElement>('[autofocus], input, textarea, select, button') ?? box).focus());
  return { el: box, body, footer, close };
}

/** Asks a yes/no question; resolves true on yes. */
export function confirmDialog(title: string, text: string, yes: string, no: string, danger = false): Promise<boolean> {
  return new Promise((resolve) => {
    let answered = false;
    const m = showModal(title, {
      onClose: () => {
        if (!answered) resolve(false);
      },
    });
    m.body.append(h('p', { text }));
    m.footer.append(
      h('button', { type: 'button', text: no, onclick: () => m.close() }),
      h('button.primary', {
        type: 'button',
        class: danger ? 'danger' : '',
        text: yes,
        'data-action': 'confirm',
        onclick: () => {
          answered = true;
          resolve(true);
          m.close();
        },
      }),
    );
    queueMicrotask(() => m.footer.querySelector<HTMLButtonElement>('.primary')?.focus());
  });
}

/** Asks for a line of text; resolves null when cancelled. */
export function promptDialog(title: string, label: string, ok: string, cancel: string, initial = '', maxLength = 500): Promise<string | null> {
  return new Promise((resolve) => {
    let answered = false;
    const m = showModal(title, {
      onClose: () => {
        if (!answered) resolve(null);
      },
    });
    const input = h('input', { type: 'text', value: initial, maxLength, autofocus: true, 'aria-label': label });
    const form = h(
      'form',
      {
        onsubmit: (e: Event) => {
          e.preventDefault();
          const v = input.value.trim();
          if (!v) return;
          answered = true;
          resolve(v);
          m.close();
        },
      },
      h('label.field', null, h('span', { text: label }), input),
    );
    m.body.append(form);
    m.footer.append(h('button', { type: 'button', text: cancel, onclick: () => m.close() }), h('button.primary', { type: 'button', text: ok, 'data-action': 'confirm', onclick: () => form.requestSubmit() }));
  });
}

let toastBox: HTMLElement | null = null;

/** A short note in the corner; errors stay longer. */
export function toast(text: string, kind: 'info' | 'error' = 'info'): void {
  if (!toastBox) {
    toastBox = h('div.toasts', { role: 'status', 'aria-live': 'polite' });
    document.body.append(toastBox);
  }
  const el = h('div.toast', { class: kind, text });
  toastBox.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8_000 : 3_500);
}
