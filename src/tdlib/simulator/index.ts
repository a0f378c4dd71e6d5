/**
 * The simulated Telegram: an in-process world with several accounts sharing chats, each account
 * reachable through a TDLib-shaped transport (in process or over a WebSocket). Used by
 * `tgdesk demo` and by the tests; see DESIGN.md §7.
 *
 * Wiring: the world plays Telegram and the accounts' TDLib; the daemon gets one `TdTransport`
 * per account exactly where it would create a tdl client:
 *
 *   const world = createSimWorld({ seed, clock });
 *   const company = buildSupportCompany(world, { now: clock(), seed });
 *   const transport = world.connect(company.accounts[0].userId);      // in process
 *   const server = await serveSimWorld(world, { port: 0 });            // or across processes:
 *   const remote = connectRemoteSimulator(server.url, userId);          // in the daemon process
 *
 * Like tdl, a transport answers WaitTdlibParameters itself; accounts marked logged in reach
 * authorizationStateReady at once, others walk the phone/code/password or QR steps.
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
