/**
 * The simulated Telegram: an in-process world with several accounts sharing chats, each account
 * reachable through a TDLib-shaped transport (in process or over a WebSocket). Used by
 * `tgdesk demo` and by the tests; see DESIGN.md §7.
 */
export { createSimWorld, SimWorld } from './world.ts';
export type { ConnectOptions, SimCall, SimTransport, SimWorldOptions } from './world.ts';
export type {
  AddUserInput,
  InviteLinkInput,
  SimChatHandle,
  SimChatRef,
  SimChatStateSnapshot,
  SimContentInput,
  SimMessageHandle,
  SimMessageRef,
  SimMessageTruth,
  SimSendInput,
  SimUserInfo,
} from './state.ts';
export type { MemberRole, SimChatKind, SimContentKind } from './model.ts';
export { SimFailures, FLOOD_WAIT_ABSORBED_SECONDS } from './failures.ts';
export type { MethodFailureTarget } from './failures.ts';
export type { RestartMode, RestartPolicy } from './feed.ts';
export type { HistoryPaging } from './methods.ts';
export { SimTdError, isTdError } from './errors.ts';
export { connectRemoteSimulator, serveSimWorld } from './remote.ts';
export type { ServeOptions, SimServer } from './remote.ts';
export { buildSupportCompany, computeWaitingSince, isThanks } from './support-company.ts';
export type {
  ClientChatScenario,
  SupportClient,
  SupportClientChat,
  SupportCompany,
  SupportCompanyOptions,
  SupportTeamMember,
  TeamRole,
} from './support-company.ts';
export { createTraffic } from './traffic.ts';
export type { RunOptions, Traffic, TrafficEvent, TrafficEventKind, TrafficOptions } from './traffic.ts';
export { basicGroupChatId, messageIdFromServerId, serverIdOf, supergroupChatId } from './ids.ts';
