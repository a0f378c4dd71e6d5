/**
 * The app values each schema type is resolved from (codegen.ts maps them), and the request
 * context. Resolvers present these values; they never compute business facts.
 */
import type { Daemon } from '../app/daemon.ts';
import type { AccountChatRecord, AccountRecord, ChatRecord, MessageView } from '../app/queries.ts';
import type { AuditEntryView } from '../app/audit.ts';
import type { MemberPreferences } from '../app/preferences.ts';
import type { SearchGroupView, SearchHitView } from '../app/search.ts';
import type { ApiRole, Principal } from '../app/tokens.ts';
import type { ChatKind } from '../domain/classification.ts';
import type { ChatType } from '../domain/ids.ts';
import type { TeamRole } from '../domain/roster.ts';
import type { TeamSummary } from '../domain/counts.ts';
import type { Acknowledged, Alarm, DialogRow, LastMessageView } from '../domain/dialogs.ts';
import type { DomainEvent, MessageView as EventMessageView } from '../domain/events.ts';
import type { TeamMember } from '../domain/roster.ts';
import type { SnippetSegment } from '../domain/search-grouping.ts';

export type { ChatRecord, MessageView, DomainEvent };
export type AccountChatRecordParent = AccountChatRecord;
export type AccountRecordParent = AccountRecord;
export type AcknowledgedParent = Acknowledged;
/** The chat is known where the alarm is shown from a chat's row or event; `raisedByActor` needs it. */
export type AlarmParent = Alarm & { readonly chatKey?: string };
export type AuditEntryViewParent = AuditEntryView;
export type ChatRecordParent = ChatRecord;
export type EventMessageViewParent = EventMessageView;
export type LastMessageViewParent = LastMessageView;
export type MemberPreferencesParent = MemberPreferences;
export type MessageViewParent = MessageView;
export type SearchGroupViewParent = SearchGroupView;
export type SearchHitViewParent = SearchHitView;
export type TeamSummaryParent = TeamSummary;

/** What every resolver gets: the daemon and who is asking. */
export interface ApiContext {
  readonly daemon: Daemon;
  readonly principal: Principal;
  /** How the operation arrived, for metrics. */
  readonly transport: 'http' | 'ws';
}

export type PrincipalParent = Principal;
export type UserParent = { readonly id: number; readonly name: string; readonly username: string | null };
export type TeamMemberParent = TeamMember;
/** A dialog row and the account it is seen through. */
export type DialogParent = DialogRow & { readonly accountId: string };
/** A page of dialog rows: `rows[start..end)` of the whole view. */
export interface DialogConnectionParent {
  readonly rows: readonly DialogParent[];
  readonly start: number;
  readonly end: number;
  readonly totalCount: number;
  readonly unreadChatCount: number;
  readonly unreadChatCounts: Readonly<Record<'support' | 'team' | 'personal' | 'other', number>>;
}
export type PolicyParent = Daemon['model']['policies'] extends ReadonlyMap<string, infer V> ? (V extends { record: infer R } ? R : never) : never;
export interface MessageHistoryParent {
  readonly blocks: readonly MessageBlockParent[];
  readonly hasOlder: boolean;
}
export interface MessageBlockParent {
  readonly sender: SenderParent;
  readonly isService: boolean;
  readonly firstAt: number;
  readonly lastAt: number;
  readonly messages: readonly MessageView[];
}
export interface SenderParent {
  /** `u<id>` or `c<id>`. */
  readonly id: string;
  readonly userId: number | null;
  readonly name: string;
  readonly username: string | null;
  /** Known already (last messages, events); otherwise looked up in the roster. */
  readonly isTeam?: boolean;
}
export type TextEntityParent = MessageView['entities'][number];
export interface SnippetParent {
  readonly text: string;
  readonly segments: readonly SnippetSegment[];
}
export interface DialogChangeParent {
  readonly seq: number;
  readonly at: number;
  readonly accountId: string;
  readonly chatId: string;
  readonly dialog: DialogParent | null;
  readonly matchesFilter: boolean;
  readonly totalCount: number;
  readonly unreadChatCount: number;
}

type EventOf<T extends DomainEvent['type']> = Extract<DomainEvent, { type: T }>;
export type DialogChangedEventParent = EventOf<'dialogChanged'>;
export type DialogRemovedEventParent = EventOf<'dialogRemoved'>;
export type TeamSummaryChangedEventParent = EventOf<'teamSummaryChanged'>;
export type AlarmRaisedEventParent = EventOf<'alarmRaised'>;
export type AlarmClearedEventParent = EventOf<'alarmCleared'>;
export type AcknowledgedEventParent = EventOf<'acknowledged'>;
export type StarredEventParent = EventOf<'starred'>;
export type ChatKindChangedEventParent = EventOf<'chatKindChanged'>;
export type ChatTitleChangedEventParent = EventOf<'chatTitleChanged'>;
export type OverdueChangedEventParent = EventOf<'overdueChanged'>;
export type MessageAddedEventParent = EventOf<'messageAdded'>;
export type MessageEditedEventParent = EventOf<'messageEdited'>;
export type MessagesDeletedEventParent = EventOf<'messagesDeleted'>;
export type AccountSyncChangedEventParent = EventOf<'accountSyncChanged'>;
export type DomainEventParent = DomainEvent;

export type ChatKindParent = ChatKind;
export type TeamRoleParent = TeamRole;
export type ApiRoleParent = ApiRole;
export type AuditOutcomeParent = AuditEntryView['outcome'];
export type ChatTypeParent = ChatType;
