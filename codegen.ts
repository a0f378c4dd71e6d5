/**
 * Resolver types generated from the hand-written contract, `schema.graphql`. The output
 * (src/graphql/generated/) is not committed: `npm run lint` regenerates it before type-checking,
 * so code that disagrees with the schema fails the build.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const m = (name: string) => `../mappers.ts#${name}`;
const t = (name: string) => `../tasks.mappers.ts#${name}`;

const config: CodegenConfig = {
  schema: 'schema.graphql',
  silent: true,
  generates: {
    'src/graphql/generated/resolvers-types.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        useTypeImports: true,
        useIndexSignature: false,
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
        contextType: m('ApiContext'),
        scalars: {
          DateTime: { input: 'Date', output: 'Date | number | string' },
          JSON: { input: 'unknown', output: 'unknown' },
        },
        enumValues: {
          ChatKind: { SUPPORT: 'support', TEAM: 'team', PERSONAL: 'personal', OTHER: 'other' },
          StableKey: { TITLE: 'title', MANUAL: 'manual', CREATED: 'created' },
          TeamRole: { ADMIN: 'admin', MANAGER: 'manager' },
          ApiRole: { VIEWER: 'viewer', ADMIN: 'admin', MANAGER: 'manager', INTEGRATION: 'integration' },
          AuditOutcome: { OK: 'ok', ERROR: 'error' },
          ChatType: { PRIVATE: 'private', BASIC: 'basic', SUPERGROUP: 'supergroup', CHANNEL: 'channel', SECRET: 'secret' },
          TaskStatus: { OPEN: 'open', CLOSED: 'closed' },
          TaskChangeKind: { CREATED: 'created', UPDATED: 'updated', CLOSED: 'closed', REOPENED: 'reopened' },
          TaskSource: { TGDESK: 'tgdesk', PORTAL: 'portal' },
          PortalDeliveryState: { PENDING: 'pending', DELIVERED: 'delivered', DEAD: 'dead' },
        },
        // Enums resolve to the app's own values (enumValues above); mapping them too keeps
        // their resolver types exact instead of `null`.
        mappers: {
          ChatKind: m('ChatKindParent'),
          TeamRole: m('TeamRoleParent'),
          ApiRole: m('ApiRoleParent'),
          AuditOutcome: m('AuditOutcomeParent'),
          ChatType: m('ChatTypeParent'),
          Principal: m('PrincipalParent'),
          Account: m('AccountRecordParent'),
          User: m('UserParent'),
          TeamMember: m('TeamMemberParent'),
          Preferences: m('MemberPreferencesParent'),
          Chat: m('ChatRecordParent'),
          AccountChatState: m('AccountChatRecordParent'),
          DialogConnection: m('DialogConnectionParent'),
          Dialog: m('DialogParent'),
          LastMessage: m('LastMessageViewParent'),
          Alarm: m('AlarmParent'),
          Acknowledgement: m('AcknowledgedParent'),
          Policy: m('PolicyParent'),
          MessageHistory: m('MessageHistoryParent'),
          MessageBlock: m('MessageBlockParent'),
          Sender: m('SenderParent'),
          Message: m('MessageViewParent'),
          TextEntity: m('TextEntityParent'),
          SearchGroup: m('SearchGroupViewParent'),
          SearchHit: m('SearchHitViewParent'),
          Snippet: m('SnippetParent'),
          TeamSummary: m('TeamSummaryParent'),
          AuditEntry: m('AuditEntryViewParent'),
          DialogChange: m('DialogChangeParent'),
          Event: m('DomainEventParent'),
          DialogChangedEvent: m('DialogChangedEventParent'),
          DialogRemovedEvent: m('DialogRemovedEventParent'),
          TeamSummaryChangedEvent: m('TeamSummaryChangedEventParent'),
          AlarmRaisedEvent: m('AlarmRaisedEventParent'),
          AlarmClearedEvent: m('AlarmClearedEventParent'),
          AcknowledgedEvent: m('AcknowledgedEventParent'),
          StarredEvent: m('StarredEventParent'),
          ChatKindChangedEvent: m('ChatKindChangedEventParent'),
          ChatTitleChangedEvent: m('ChatTitleChangedEventParent'),
          OverdueChangedEvent: m('OverdueChangedEventParent'),
          MessageAddedEvent: m('MessageAddedEventParent'),
          MessageEditedEvent: m('MessageEditedEventParent'),
          MessagesDeletedEvent: m('MessagesDeletedEventParent'),
          AccountSyncChangedEvent: m('AccountSyncChangedEventParent'),
          MessageSnapshot: m('EventMessageViewParent'),
          // Tasks and the portal (src/graphql/tasks.mappers.ts).
          Task: t('TaskParent'),
          TaskActor: t('TaskActorParent'),
          TaskMessage: t('TaskMessageParent'),
          TaskConnection: t('TaskConnectionParent'),
          TaskEdge: t('TaskEdgeParent'),
          LinkTarget: t('LinkTargetParent'),
          TaskChange: t('TaskChangeParent'),
          TaskChangedEvent: t('TaskChangedEventParent'),
          PortalDelivery: t('PortalDeliveryParent'),
          PortalDeliveryConnection: t('PortalDeliveryConnectionParent'),
          PortalStatus: t('PortalStatusParent'),
          TaskStatus: t('TaskStatusParent'),
          TaskChangeKind: t('TaskChangeKindParent'),
          TaskSource: t('TaskSourceParent'),
          PortalDeliveryState: t('PortalDeliveryStateParent'),
        },
      },
    },
  },
};

export default config;
