/**
 * Every GraphQL operation the console sends, and the shapes it reads back. docs/console.md
 * lists them; they use only the public contract in schema.graphql.
 */

export type ChatKind = 'SUPPORT' | 'TEAM' | 'PERSONAL' | 'OTHER';
export type DialogOrder = 'STABLE' | 'ACTIVITY' | 'URGENCY';
export type ApiRole = 'VIEWER' | 'ADMIN' | 'MANAGER' | 'INTEGRATION';

export interface UserRef {
  readonly id: string;
  readonly name: string;
}

export interface TeamMember {
  readonly id: string;
  readonly name: string;
  readonly role: 'ADMIN' | 'MANAGER';
  readonly source: string;
  readonly onDuty: boolean;
}

export interface Me {
  readonly name: string;
  readonly role: ApiRole;
  readonly member: TeamMember | null;
}

export interface Account {
  readonly id: string;
  readonly user: UserRef | null;
  readonly syncState: string;
  readonly syncComplete: boolean;
}

export interface Alarm {
  readonly reason: string;
  readonly raisedAt: string;
  readonly raisedBy: UserRef | null;
}

export interface Row {
  readonly chat: { readonly id: string; readonly title: string; readonly kind: ChatKind; readonly clientName: string | null; readonly type: string };
  readonly unreadCount: number;
  readonly hasUnreadMention: boolean;
  readonly isUnread: boolean;
  readonly isMuted: boolean;
  readonly isPinned: boolean;
  readonly isStarred: boolean;
  readonly waitingSince: string | null;
  readonly deadline: string | null;
  readonly isOverdue: boolean;
  readonly overdueSince: string | null;
  readonly alarm: Alarm | null;
  readonly openTaskCount: number;
  readonly lastMessage: { readonly id: string; readonly date: string; readonly text: string; readonly sender: { readonly name: string; readonly isTeam: boolean } } | null;
}

const ROW = /* GraphQL */ `
  fragment Row on Dialog {
    chat { id title kind clientName type }
    unreadCount hasUnreadMention isUnread isMuted isPinned isStarred
    waitingSince deadline isOverdue overdueSince
    alarm { reason raisedAt raisedBy { id name } }
    openTaskCount
    lastMessage { id date text sender { name isTeam } }
  }
`;

export const BOOT = /* GraphQL */ `
  query Boot {
    me { name role member { id name role source onDuty } }
    accounts { id user { id name } syncState syncComplete }
    teamMembers { id name role source onDuty }
  }
`;
export interface BootData {
  readonly me: Me;
  readonly accounts: Account[];
  readonly teamMembers: TeamMember[];
}

export const DIALOGS = /* GraphQL */ `
  query Dialogs($a: ID!, $first: Int!, $after: String) {
    dialogs(accountId: $a, order: STABLE, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...Row }
    }
  }
  ${ROW}
`;
export interface DialogsData {
  readonly dialogs: { readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null }; readonly nodes: Row[] };
}

/** Only the order: chat ids as the daemon sorts them. */
export const ORDER = /* GraphQL */ `
  query Order($a: ID!, $order: DialogOrder!, $first: Int!, $after: String) {
    dialogs(accountId: $a, order: $order, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { chat { id } }
    }
  }
`;
export interface OrderData {
  readonly dialogs: { readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null }; readonly nodes: { readonly chat: { readonly id: string } }[] };
}

export const DIALOG = /* GraphQL */ `
  query Dialog($a: ID!, $c: ID!) { dialog(accountId: $a, chatId: $c) { ...Row } }
  ${ROW}
`;
export interface DialogData {
  readonly dialog: Row | null;
}

export const DIALOG_CHANGED = /* GraphQL */ `
  subscription DialogChanged($a: ID!) {
    dialogChanged(accountId: $a) { seq chatId matchesFilter dialog { ...Row } }
  }
  ${ROW}
`;
export interface DialogChange {
  readonly seq: number;
  readonly chatId: string;
  readonly matchesFilter: boolean;
  readonly dialog: Row | null;
}

/** Message events of every chat: the open chat picks its own and fetches what changed. */
export const CHAT_EVENTS = /* GraphQL */ `
  subscription ChatEvents {
    events {
      __typename
      ... on MessageAddedEvent { chatId message { id } }
      ... on MessageEditedEvent { chatId message { id } }
      ... on MessagesDeletedEvent { chatId messageIds }
    }
  }
`;
export type ChatEvent =
  | { readonly __typename: 'MessageAddedEvent' | 'MessageEditedEvent'; readonly chatId: string; readonly message: { readonly id: string } }
  | { readonly __typename: 'MessagesDeletedEvent'; readonly chatId: string; readonly messageIds: string[] }
  | { readonly __typename: string };

export interface Entity {
  readonly type: string;
  readonly offset: number;
  readonly length: number;
  readonly url: string | null;
}

export interface TaskRef {
  readonly id: string;
  readonly title: string;
  readonly status: 'OPEN' | 'CLOSED';
}

export interface Message {
  readonly id: string;
  readonly sender: { readonly id: string; readonly name: string; readonly isTeam: boolean };
  readonly date: string;
  readonly editedAt: string | null;
  readonly text: string;
  readonly entities: Entity[];
  readonly contentKind: string;
  readonly mediaSummary: string | null;
  readonly isService: boolean;
  readonly replyToId: string | null;
  /** Absent while the daemon has no tasks in its schema. */
  readonly tasks?: TaskRef[];
}

const MESSAGE_FIELDS = (withTasks: boolean) => `
  id sender { id name isTeam } date editedAt text entities { type offset length url }
  contentKind mediaSummary isService replyToId ${withTasks ? 'tasks { id title status }' : ''}
`;

export const messagesQuery = (withTasks: boolean) => /* GraphQL */ `
  query Messages($c: ID!, $first: Int!, $before: ID, $after: ID, $around: ID) {
    messages(chatId: $c, first: $first, before: $before, after: $after, around: $around) {
      hasOlder
      blocks { messages { ${MESSAGE_FIELDS(withTasks)} } }
    }
  }
`;
export interface MessagesData {
  readonly messages: { readonly hasOlder: boolean; readonly blocks: { readonly messages: Message[] }[] };
}

export const CHAT_INFO = /* GraphQL */ `
  query ChatInfo($c: ID!) {
    chat(id: $c) { id title kind type clientName policy { thresholdSeconds } accountStates { accountId } }
  }
`;
export interface ChatInfoData {
  readonly chat: { readonly id: string; readonly title: string; readonly kind: ChatKind; readonly type: string; readonly clientName: string | null; readonly policy: { readonly thresholdSeconds: number } | null; readonly accountStates: { readonly accountId: string }[] };
}

export const SEND = /* GraphQL */ `
  mutation Send($a: ID!, $c: ID!, $text: String!, $replyTo: ID) {
    sendMessage(accountId: $a, chatId: $c, text: $text, replyTo: $replyTo) { message { id } sentTyping linkPreviews }
  }
`;

export const PIN = `mutation Pin($a: ID!, $c: ID!, $on: Boolean!) { pinChat(accountId: $a, chatId: $c, pinned: $on) { ...Row } } ${ROW}`;
export const MUTE = `mutation Mute($a: ID!, $c: ID!, $on: Boolean!) { muteChat(accountId: $a, chatId: $c, muted: $on) { ...Row } } ${ROW}`;
export const READ_ALL = `mutation ReadAll($a: ID!, $kind: ChatKind) { readAll(accountId: $a, kind: $kind) { chatsRead failed } }`;
export const RAISE_ALARM = `mutation Alarm($c: ID!, $reason: String!) { raiseAlarm(chatId: $c, reason: $reason) { raisedAt } }`;
export const CLEAR_ALARM = `mutation ClearAlarm($c: ID!) { clearAlarm(chatId: $c) }`;
export const ACK = `mutation Ack($c: ID!) { acknowledge(chatId: $c) { at } }`;
export const STAR = `mutation Star($c: ID!, $on: Boolean!) { starChat(chatId: $c, starred: $on) }`;

export const SEARCH = /* GraphQL */ `
  query Search($q: String!) {
    search(query: $q, first: 200) {
      chat { id title kind }
      newestAt
      hits { message { id date sender { name } } snippet { segments { text isMatch } } }
    }
  }
`;
export interface SearchGroup {
  readonly chat: { readonly id: string; readonly title: string; readonly kind: ChatKind };
  readonly newestAt: string;
  readonly hits: { readonly message: { readonly id: string; readonly date: string; readonly sender: { readonly name: string } }; readonly snippet: { readonly segments: { readonly text: string; readonly isMatch: boolean }[] } }[];
}

// ---- settings --------------------------------------------------------------------------------

export const PREFERENCES = `query Prefs { preferences { sendTyping linkPreviews } }`;
export const SET_PREFERENCES = `mutation SetPrefs($typing: Boolean, $previews: Boolean) { setPreferences(sendTyping: $typing, linkPreviews: $previews) { sendTyping linkPreviews } }`;
export interface Preferences {
  readonly sendTyping: boolean;
  readonly linkPreviews: boolean;
}
export const ALERT_CHANNELS = `query Channels { alertChannels }`;
export const SET_ALERT_CHANNELS = `mutation SetChannels($ch: [AlertChannel!]) { setAlertChannels(channels: $ch) }`;
export const ALERTS = `subscription Alerts { alerts(forMe: true) { id kind chatId chatTitle text reminder since } }`;
export interface AlertData {
  readonly id: string;
  readonly kind: 'OVERDUE' | 'ALARM' | 'MENTION';
  readonly chatId: string;
  readonly chatTitle: string;
  readonly text: string;
  readonly reminder: number;
  readonly since: string;
}

// ---- tasks -------------------------------------------------------------------------------------

const TASK = `id title description status chat { id title } assignee { id name } createdBy { name } createdAt closedAt closedBy { name } link portalUrl anchorMessageId messageIds`;
export interface Task {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly status: 'OPEN' | 'CLOSED';
  readonly chat: { readonly id: string; readonly title: string };
  readonly assignee: UserRef | null;
  readonly createdBy: { readonly name: string };
  readonly createdAt: string;
  readonly closedAt: string | null;
  readonly closedBy: { readonly name: string } | null;
  readonly link: string;
  readonly portalUrl: string | null;
  readonly anchorMessageId: string;
  readonly messageIds: string[];
}
export const TASKS = `query Tasks($status: TaskStatus, $chat: ID, $assignee: ID, $after: String) {
  tasks(status: $status, chatId: $chat, assigneeId: $assignee, first: 50, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { ${TASK} } }
}`;
export interface TasksData {
  readonly tasks: { readonly totalCount: number; readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null }; readonly nodes: Task[] };
}
export const TASK_ONE = `query Task($id: ID!) { task(id: $id) { ${TASK} } }`;
export const CREATE_TASK = `mutation CreateTask($c: ID!, $m: [ID!]!, $title: String, $description: String, $assignee: ID) {
  createTask(chatId: $c, messageIds: $m, title: $title, description: $description, assigneeId: $assignee) { ${TASK} }
}`;
export const MARK_TASK = `mutation MarkTask($c: ID!, $m: ID!) { markMessageAsTask(chatId: $c, messageId: $m) { ${TASK} } }`;
export const CLOSE_TASK = `mutation CloseTask($id: ID!) { closeTask(id: $id) { ${TASK} } }`;
export const REOPEN_TASK = `mutation ReopenTask($id: ID!) { reopenTask(id: $id) { ${TASK} } }`;
export const TASK_CHANGED = `subscription TaskChanged { taskChanged { change task { ${TASK} } } }`;
export interface TaskChange {
  readonly change: 'CREATED' | 'UPDATED' | 'CLOSED' | 'REOPENED';
  readonly task: Task;
}

// ---- membership jobs and duty (managers) -------------------------------------------------------

const PLAN = `plan { action counts { todo skip impossible } items { chatId title chatType memberId outcome accountId reason } }`;
const JOB = `id kind action state reason createdBy createdAt finishedAt memberIds counts { total pending running done skipped invited failed cancelled }`;
const ITEM = `id chatId title memberId state accountId reason inviteLink`;
export const ADD_MEMBERS_TO_CHAT = `mutation AddMembers($c: ID!, $m: [ID!]!, $dry: Boolean!) { addMembersToChat(chatId: $c, memberIds: $m, dryRun: $dry) { ${PLAN} job { ${JOB} } } }`;
export const ADD_MEMBER_TO_CHATS = `mutation AddToChats($m: ID!, $chats: [ID!], $all: Boolean, $dry: Boolean!) { addMemberToChats(memberId: $m, chatIds: $chats, allSupport: $all, dryRun: $dry) { ${PLAN} job { ${JOB} } } }`;
export const REMOVE_MEMBER = `mutation Offboard($m: ID!, $chats: [ID!], $all: Boolean, $dry: Boolean!) { removeMemberFromChats(memberId: $m, chatIds: $chats, all: $all, dryRun: $dry) { ${PLAN} job { ${JOB} } } }`;
export const CANCEL_JOB = `mutation Cancel($id: ID!) { cancelJob(jobId: $id) { ${JOB} } }`;
export const JOBS = `query Jobs { membershipJobs(first: 30) { ${JOB} } }`;
export const JOB_REPORT = `query Job($id: ID!) { membershipJob(id: $id) { job { ${JOB} } items { ${ITEM} } } }`;
export const JOB_PROGRESS = `subscription Progress($id: ID!) { jobProgress(jobId: $id) { seq job { ${JOB} } changedItems { ${ITEM} } } }`;
export interface PlanItem {
  readonly chatId: string;
  readonly title: string;
  readonly chatType: string;
  readonly memberId: string;
  readonly outcome: 'TODO' | 'SKIP' | 'IMPOSSIBLE';
  readonly accountId: string | null;
  readonly reason: string | null;
}
export interface Plan {
  readonly action: 'ADD' | 'REMOVE';
  readonly counts: { readonly todo: number; readonly skip: number; readonly impossible: number };
  readonly items: PlanItem[];
}
export interface JobCounts {
  readonly total: number;
  readonly pending: number;
  readonly running: number;
  readonly done: number;
  readonly skipped: number;
  readonly invited: number;
  readonly failed: number;
  readonly cancelled: number;
}
export interface Job {
  readonly id: string;
  readonly kind: string;
  readonly action: 'ADD' | 'REMOVE';
  readonly state: 'RUNNING' | 'PAUSED' | 'DONE' | 'CANCELLED';
  readonly reason: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly memberIds: string[];
  readonly counts: JobCounts;
}
export interface JobItem {
  readonly id: string;
  readonly chatId: string;
  readonly title: string;
  readonly memberId: string;
  readonly state: string;
  readonly accountId: string | null;
  readonly reason: string | null;
  readonly inviteLink: string | null;
}
export interface JobStart {
  readonly plan: Plan;
  readonly job: Job | null;
}

export const DUTY = `query Duty {
  duty { at schedulesInUse onDuty { member { id name } from until } next { member { id name } from until } }
  dutySchedules { memberId timeZone muteOffDuty shifts { day from to } }
  dutyOverrides { id memberId from to onDuty note createdBy }
}`;
export interface DutyStretch {
  readonly member: UserRef;
  readonly from: string | null;
  readonly until: string | null;
}
export interface DutySchedule {
  readonly memberId: string;
  readonly timeZone: string;
  readonly muteOffDuty: boolean;
  readonly shifts: { readonly day: number; readonly from: string; readonly to: string }[];
}
export interface DutyOverride {
  readonly id: string;
  readonly memberId: string;
  readonly from: string;
  readonly to: string;
  readonly onDuty: boolean;
  readonly note: string | null;
  readonly createdBy: string;
}
export interface DutyData {
  readonly duty: { readonly at: string; readonly schedulesInUse: boolean; readonly onDuty: DutyStretch[]; readonly next: DutyStretch[] };
  readonly dutySchedules: DutySchedule[];
  readonly dutyOverrides: DutyOverride[];
}
export const SET_SCHEDULE = `mutation SetSchedule($m: ID!, $tz: String!, $shifts: [DutyShiftInput!]!, $mute: Boolean) { setDutySchedule(memberId: $m, timeZone: $tz, shifts: $shifts, muteOffDuty: $mute) { memberId } }`;
export const REMOVE_SCHEDULE = `mutation RemoveSchedule($m: ID!) { removeDutySchedule(memberId: $m) }`;
export const ADD_OVERRIDE = `mutation AddOverride($m: ID!, $from: DateTime!, $to: DateTime!, $on: Boolean!, $note: String) { addDutyOverride(memberId: $m, from: $from, to: $to, onDuty: $on, note: $note) { id } }`;
export const REMOVE_OVERRIDE = `mutation RemoveOverride($id: ID!) { removeDutyOverride(id: $id) }`;

/** Which optional parts of the API the daemon serves: screens for missing parts are left out. */
export const CAPABILITIES = /* GraphQL */ `
  query Capabilities {
    q: __type(name: "Query") { fields { name } }
    m: __type(name: "Mutation") { fields { name } }
    s: __type(name: "Subscription") { fields { name } }
  }
`;
export interface CapabilitiesData {
  readonly q: { readonly fields: { readonly name: string }[] } | null;
  readonly m: { readonly fields: { readonly name: string }[] } | null;
  readonly s: { readonly fields: { readonly name: string }[] } | null;
}
