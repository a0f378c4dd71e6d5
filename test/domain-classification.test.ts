import { describe, expect, it } from 'vitest';
import { classifyChat, compileClassifier, type ChatFacts, type ClassificationRules } from '../src/domain/classification.ts';
import { clientNameOf, compileClientNamer, mostActiveOutsider } from '../src/domain/client-name.ts';
import { DomainError } from '../src/domain/errors.ts';
import { buildRoster, isTeamSender, isTeamUser, teamMember } from '../src/domain/roster.ts';

const roster = buildRoster([
  { userId: 1, name: 'Anna', role: 'admin', source: 'teamChat' },
  { userId: 2, name: 'Max', role: 'manager', source: 'config' },
]);

describe('roster', () => {
  it('says a sender is team if and only if they are on the roster', () => {
    expect(isTeamUser(roster, 1)).toBe(true);
    expect(isTeamUser(roster, 3)).toBe(false);
    expect(isTeamSender(roster, { kind: 'user', id: 2 })).toBe(true);
    expect(isTeamSender(roster, { kind: 'user', id: 100 })).toBe(false);
    // A chat sender never is, even when its id happens to equal a member's.
    expect(isTeamSender(roster, { kind: 'chat', id: 1 })).toBe(false);
  });

  it('lets the stronger source decide the role, keeping a name from the weaker one', () => {
    const merged = buildRoster([
      { userId: 7, name: 'Ivan Petrov', role: 'admin', source: 'teamChat' },
      { userId: 7, name: '', role: 'manager', source: 'config' },
      { userId: 8, name: 'Olga', role: 'manager', source: 'config' },
      { userId: 8, name: 'Olga K.', role: 'admin', source: 'api' },
    ]);
    expect(teamMember(merged, 7)).toEqual({ userId: 7, name: 'Ivan Petrov', role: 'manager', source: 'config' });
    expect(teamMember(merged, 8)).toEqual({ userId: 8, name: 'Olga K.', role: 'admin', source: 'api' });
    expect(teamMember(merged, 9)).toBeNull();
  });
});

const rules: ClassificationRules = {
  teamChatId: -1001,
  supportChatIds: [-1002],
  otherChatIds: [-1003],
  supportTitlePattern: '^(?:Support|Поддержка):\\s*(?<client>.+)$',
};
const classifier = compileClassifier(rules);

const chat = (over: Partial<ChatFacts>): ChatFacts => ({
  tdChatId: -1999,
  type: 'supergroup',
  title: 'Some group',
  members: [],
  override: null,
  ...over,
});
const TEAM_AND_CLIENT = [
  { userId: 1, isBot: false },
  { userId: 100, isBot: false },
];

describe('classification', () => {
  it('classifies the configured team chat as team even though it has outsiders', () => {
    expect(classifyChat(classifier, roster, chat({ tdChatId: -1001, members: TEAM_AND_CLIENT }))).toEqual({ kind: 'team', reason: 'teamChat' });
  });

  it('follows explicit ids before the title pattern and the member rule', () => {
    expect(classifyChat(classifier, roster, chat({ tdChatId: -1002, title: 'random' })).kind).toBe('support');
    expect(classifyChat(classifier, roster, chat({ tdChatId: -1003, title: 'Support: Acme', members: TEAM_AND_CLIENT }))).toEqual({
      kind: 'other',
      reason: 'otherChatId',
    });
  });

  it('takes a group whose title matches the pattern as support, case-insensitively', () => {
    expect(classifyChat(classifier, roster, chat({ title: 'support: Acme' }))).toEqual({ kind: 'support', reason: 'titlePattern' });
    expect(classifyChat(classifier, roster, chat({ type: 'basic', title: 'ПОДДЕРЖКА: Ромашка' })).kind).toBe('support');
  });

  it('takes a group with both team members and outsiders as support by default', () => {
    expect(classifyChat(classifier, roster, chat({ members: TEAM_AND_CLIENT }))).toEqual({ kind: 'support', reason: 'teamAndOutsiders' });
    expect(classifyChat(classifier, roster, chat({ type: 'basic', members: TEAM_AND_CLIENT })).kind).toBe('support');
  });

  it('does not take a group of team members only, or of outsiders only, as support', () => {
    expect(classifyChat(classifier, roster, chat({ members: [{ userId: 1, isBot: false }, { userId: 2, isBot: false }] }))).toEqual({
      kind: 'other',
      reason: 'noRuleMatched',
    });
    expect(classifyChat(classifier, roster, chat({ members: [{ userId: 100, isBot: false }] })).kind).toBe('other');
  });

  it('does not count a bot as an outsider', () => {
    expect(classifyChat(classifier, roster, chat({ members: [{ userId: 1, isBot: false }, { userId: 555, isBot: true }] })).kind).toBe('other');
  });

  it('makes private chats personal and channels other, whatever their members', () => {
    expect(classifyChat(classifier, roster, chat({ type: 'private', title: 'Support: Bob', members: TEAM_AND_CLIENT }))).toEqual({
      kind: 'personal',
      reason: 'privateChat',
    });
    expect(classifyChat(classifier, roster, chat({ type: 'secret' })).kind).toBe('personal');
    expect(classifyChat(classifier, roster, chat({ type: 'channel', title: 'Support: news', members: TEAM_AND_CLIENT })).kind).toBe('other');
  });

  it('lets a per-chat override beat every rule, the team chat included', () => {
    expect(classifyChat(classifier, roster, chat({ tdChatId: -1001, override: 'support' }))).toEqual({ kind: 'support', reason: 'override' });
    expect(classifyChat(classifier, roster, chat({ tdChatId: -1002, override: 'other' })).kind).toBe('other');
    expect(classifyChat(classifier, roster, chat({ type: 'private', override: 'support' })).kind).toBe('support');
    expect(classifyChat(classifier, roster, chat({ members: TEAM_AND_CLIENT, override: 'personal' })).kind).toBe('personal');
  });

  it('rejects contradictory or invalid rules', () => {
    const fails = (r: Partial<ClassificationRules>): DomainError => {
      try {
        compileClassifier({ ...rules, ...r });
      } catch (e) {
        return e as DomainError;
      }
      throw new Error('expected a DomainError');
    };
    expect(fails({ supportChatIds: [-1003] }).code).toBe('BAD_USER_INPUT');
    expect(fails({ supportChatIds: [-1001] }).code).toBe('BAD_USER_INPUT');
    expect(fails({ supportTitlePattern: '([' }).code).toBe('BAD_USER_INPUT');
  });

  it('works with no pattern and no team chat', () => {
    const bare = compileClassifier({ teamChatId: null, supportChatIds: [], otherChatIds: [], supportTitlePattern: null });
    expect(classifyChat(bare, roster, chat({ title: 'Support: Acme' })).kind).toBe('other');
    expect(classifyChat(bare, roster, chat({ members: TEAM_AND_CLIENT })).kind).toBe('support');
  });
});

describe("client's name", () => {
  const namer = compileClientNamer({ companyNames: ['OurCompany', 'Наша Компания'], titlePattern: null });

  it.each([
    ['Support: Acme', 'Acme'],
    ['[Support] Acme Corp', 'Acme Corp'],
    ['Acme / OurCompany', 'Acme'],
    ['OurCompany | Acme', 'Acme'],
    ['Acme x OurCompany', 'Acme'],
    ['OurCompany <> Acme', 'Acme'],
    ['Поддержка: Ромашка', 'Ромашка'],
    ['Ромашка — техподдержка', 'Ромашка'],
    ['Ромашка / Наша Компания', 'Ромашка'],
    ['🔥 Acme Support 🔥', 'Acme'],
    ['Support: Acme / OurCompany', 'Acme'],
    ['Foo - Bar', 'Foo - Bar'],
    ['Exxon', 'Exxon'],
    ['Supporting Cast Ltd', 'Supporting Cast Ltd'],
  ])('turns %j into %j', (title, expected) => {
    expect(clientNameOf(namer, title, null)).toBe(expected);
  });

  it('uses the most active outsider when the title is only decoration', () => {
    expect(clientNameOf(namer, 'Support', 'Bob Smith')).toBe('Bob Smith');
    expect(clientNameOf(namer, 'OurCompany', 'Bob Smith')).toBe('Bob Smith');
    expect(clientNameOf(namer, 'Support', null)).toBe('Support');
  });

  it("prefers the pattern's client group", () => {
    const withPattern = compileClientNamer({ companyNames: [], titlePattern: classifier.supportTitlePattern });
    expect(clientNameOf(withPattern, 'Support:  Acme / Ops ', null)).toBe('Acme / Ops');
  });

  it('picks the outsider who wrote the most, ties to the lower id', () => {
    const isTeam = (id: number): boolean => isTeamUser(roster, id);
    const senders = [
      { userId: 1, name: 'Anna', messageCount: 500 },
      { userId: 101, name: 'Carol', messageCount: 40 },
      { userId: 100, name: 'Bob', messageCount: 40 },
      { userId: 102, name: 'Dan', messageCount: 3 },
    ];
    expect(mostActiveOutsider(senders, isTeam)?.name).toBe('Bob');
    expect(mostActiveOutsider([senders[0]!], isTeam)).toBeNull();
  });
});
