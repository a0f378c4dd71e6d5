/**
 * What one running TDLib client instance knows locally. A restart (a new transport) starts it
 * afresh, as a new TDLib process would: chats must be loaded again, ids re-learned.
 */
import type * as Td from 'tdlib-types';

export interface SessionLocal {
  /** Chats this client has announced with updateNewChat. */
  readonly knownChats: Set<string>;
  readonly knownUsers: Set<number>;
  /** `sg:<id>` / `bg:<id>` announced with updateSupergroup / updateBasicGroup. */
  readonly knownGroups: Set<string>;
  /** Main-list chats handed out by loadChats. */
  readonly loadedMain: Set<string>;
  /** loadChats has been called for the main list (pinning needs it). */
  mainListLoadStarted: boolean;
  /** loadChats returned 404 once: later chats arrive by updates only. */
  mainListComplete: boolean;
  /** Chats whose history this client has asked for (the first page is short). */
  readonly historyRequested: Set<string>;
  /** Message keys this client has seen (for only_local history). */
  readonly seenMessages: Set<number>;
  readonly openedChats: Set<string>;
  readonly options: Map<string, Td.OptionValue>;
  localMessageSeq: number;
}

export function createSessionLocal(): SessionLocal {
  return {
    knownChats: new Set(),
    knownUsers: new Set(),
    knownGroups: new Set(),
    loadedMain: new Set(),
    mainListLoadStarted: false,
    mainListComplete: false,
    historyRequested: new Set(),
    seenMessages: new Set(),
    openedChats: new Set(),
    options: new Map(),
    localMessageSeq: 0,
  };
}
