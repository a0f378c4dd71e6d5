/** What every view of the console shares: the connection, who is signed in, and navigation. */
import type { Api } from './api.ts';
import type { DialogStore } from './dialogs.ts';
import type { Account, Me, TeamMember } from './gql.ts';
import type { Lang, Strings } from './i18n.ts';

export type ViewName = 'chat' | 'search' | 'tasks' | 'team' | 'settings';

/** Optional parts of the API: their screens appear only when the daemon serves them. */
export interface Capabilities {
  readonly send: boolean;
  readonly tasks: boolean;
  readonly jobs: boolean;
  readonly duty: boolean;
  readonly alerts: boolean;
}

export interface OpenChatOptions {
  /** Open at this message (`Message.id`), highlighted. */
  readonly around?: string;
  /** Highlight these messages too (a task's). */
  readonly highlight?: readonly string[];
  /** Move keyboard focus into the chat. */
  readonly focus?: boolean;
}

export interface Ctx {
  readonly api: Api;
  t: Strings;
  lang: Lang;
  readonly me: Me;
  /** The signed-in team member. */
  readonly member: TeamMember;
  readonly isManager: boolean;
  /** The account whose list is shown: the member's own, or (without one) the one chosen to view. */
  readonly accountId: string;
  /** The member's own account: messages are sent and chats acted on through it only. */
  readonly ownAccount: Account | null;
  readonly accounts: readonly Account[];
  members: TeamMember[];
  readonly caps: Capabilities;
  readonly store: DialogStore;
  openChat(chatId: string, options?: OpenChatOptions): void;
  show(view: ViewName, options?: { chatTasks?: boolean }): void;
  /** The chat open in the chat view, if any. */
  currentChatId(): string | null;
  memberName(id: string): string;
}
