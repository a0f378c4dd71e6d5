/** The GraphQL the wall sends; docs/noc.md lists them for anyone building another wall. */

export const BOARD_SUBSCRIPTION = /* GraphQL */ `
  subscription Board {
    supportBoardChanged {
      now
      reset
      dutySchedules
      chats {
        chatId
        title
        clientName
        waitingSince
        deadline
        isOverdue
        alarm {
          raisedBy {
            id
            name
          }
          raisedAt
          reason
        }
        mentionsOnDuty
        isUnread
        responsible {
          id
          name
        }
      }
      counts {
        overdueChats
        waitingChats
        alarms
        unreadSupportChats
        mentionedOnDuty
        openTasks
        supportChats
      }
      members {
        member {
          id
          name
        }
        onDuty
        onDutyUntil
        nextOnDutyFrom
        lastActivityAt
      }
    }
  }
`;

export const STATS_QUERY = /* GraphQL */ `
  query WallStats($todayFrom: DateTime!, $dayFrom: DateTime!, $to: DateTime!, $timeZone: String) {
    today: stats(from: $todayFrom, to: $to, timeZone: $timeZone) {
      total {
        waits
        overdue
        open
        answeredInTime
        shareInTime
        first {
          count
          medianSeconds
          p90Seconds
        }
        next {
          count
          medianSeconds
          p90Seconds
        }
      }
    }
    hours: stats(from: $dayFrom, to: $to, groupBy: HOUR, timeZone: $timeZone) {
      groups {
        window {
          start
        }
        figures {
          waits
          overdue
          open
          answeredInTime
        }
      }
    }
  }
`;

export interface StatsData {
  readonly today: { readonly total: import('./state.ts').Figures };
  readonly hours: {
    readonly groups: readonly {
      readonly window: { readonly start: string } | null;
      readonly figures: { readonly waits: number; readonly overdue: number; readonly open: number; readonly answeredInTime: number };
    }[];
  };
}
