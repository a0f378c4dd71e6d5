import type * as Td from 'tdlib-types';
import { describe, expect, it } from 'vitest';
import { duration, humanSize, translateChat, translateContent, translateMessage, translateUpdate } from '../src/tdlib/translate.ts';
import { authState, chat, chatMember, file, message, messageText, notificationSettings, text, user, userSender } from './tdlib-fixtures.ts';

describe('translateMessage', () => {
  it('keeps text, entities, sender and ids of a text message', () => {
    const m = message({
      content: messageText('@oncall_ivan see https://status.acme.io', [
        { _: 'textEntity', offset: 0, length: 12, type: { _: 'textEntityTypeMention' } },
        { _: 'textEntity', offset: 17, length: 22, type: { _: 'textEntityTypeUrl' } },
        { _: 'textEntity', offset: 0, length: 3, type: { _: 'textEntityTypeMentionName', user_id: 42 } },
        { _: 'textEntity', offset: 4, length: 3, type: { _: 'textEntityTypeTextUrl', url: 'https://acme.io' } },
        { _: 'textEntity', offset: 4, length: 3, type: { _: 'textEntityTypeSpoiler' } },
      ]),
      contains_unread_mention: true,
      edit_date: 1772443000,
    });
    expect(translateMessage(m)).toEqual({
      tdChatId: -1001234567890,
      tdMessageId: 7340032,
      sender: { kind: 'user', id: 1001 },
      isOutgoing: false,
      date: 1772442900,
      editDate: 1772443000,
      replyToTdMessageId: null,
      text: '@oncall_ivan see https://status.acme.io',
      entities: [
        { type: 'mention', offset: 0, length: 12 },
        { type: 'url', offset: 17, length: 22 },
        { type: 'mentionName', offset: 0, length: 3, userId: 42 },
        { type: 'textUrl', offset: 4, length: 3, url: 'https://acme.io' },
        { type: 'other', offset: 4, length: 3 },
      ],
      contentKind: 'text',
      mediaSummary: null,
      isService: false,
      containsUnreadMention: true,
    });
  });

  it('tells a chat sender from a user sender', () => {
    const m = message({ sender_id: { _: 'messageSenderChat', chat_id: -1009876543210 } });
    expect(translateMessage(m).sender).toEqual({ kind: 'chat', id: -1009876543210 });
  });

  it('keeps reply_to only for a message in the same chat', () => {
    const reply = (chat_id: number, message_id: number) =>
      ({ _: 'messageReplyToMessage', chat_id, message_id, checklist_task_id: 0, poll_option_id: '', origin_send_date: 0 }) satisfies Td.messageReplyToMessage;
    expect(translateMessage(message({ reply_to: reply(-1001234567890, 6291456) })).replyToTdMessageId).toBe(6291456);
    expect(translateMessage(message({ reply_to: reply(-1005555555555, 6291456) })).replyToTdMessageId).toBeNull();
    expect(translateMessage(message({ reply_to: reply(-1001234567890, 0) })).replyToTdMessageId).toBeNull();
    const story = { _: 'messageReplyToStory', story_poster_chat_id: 5, story_id: 9 } satisfies Td.messageReplyToStory;
    expect(translateMessage(message({ reply_to: story })).replyToTdMessageId).toBeNull();
  });

  it('flags service messages', () => {
    const joins = translateMessage(message({ content: { _: 'messageChatJoinByLink' } }));
    expect(joins).toMatchObject({ contentKind: 'service', isService: true, text: '', mediaSummary: 'joined by link' });
    const pin = translateMessage(message({ content: { _: 'messagePinMessage', message_id: 6291456 } }));
    expect(pin).toMatchObject({ isService: true, mediaSummary: 'message pinned' });
    const title = translateMessage(message({ content: { _: 'messageChatChangeTitle', title: 'ACME ⇄ Support (24/7)' } }));
    expect(title).toMatchObject({ isService: true, mediaSummary: 'title changed to “ACME ⇄ Support (24/7)”' });
    const added = translateMessage(message({ content: { _: 'messageChatAddMembers', member_user_ids: [1, 2] } }));
    expect(added).toMatchObject({ isService: true, mediaSummary: '2 members added' });
    const theme = translateMessage(message({ content: { _: 'messageScreenshotTaken' } }));
    expect(theme).toMatchObject({ isService: true, mediaSummary: 'screenshot taken' });
  });
});

describe('translateContent: one-line media summaries', () => {
  it('photo with caption', () => {
    const photo = {
      _: 'messagePhoto',
      photo: {
        _: 'photo',
        has_stickers: false,
        sizes: [
          { _: 'photoSize', type: 'm', photo: file(1, 14_000), width: 320, height: 180, progressive_sizes: [] },
          { _: 'photoSize', type: 'y', photo: file(2, 180_000), width: 1280, height: 720, progressive_sizes: [] },
        ],
      },
      caption: text('graph of load', [{ _: 'textEntity', offset: 0, length: 5, type: { _: 'textEntityTypeBold' } }]),
      show_caption_above_media: false,
      has_spoiler: false,
      is_secret: false,
    } satisfies Td.messagePhoto;
    expect(translateContent(photo)).toEqual({
      kind: 'photo',
      text: 'graph of load',
      entities: [{ type: 'bold', offset: 0, length: 5 }],
      summary: 'photo 1280×720',
    });
  });

  it('document with size', () => {
    const doc = {
      _: 'messageDocument',
      document: { _: 'document', file_name: 'backup.tar.gz', mime_type: 'application/gzip', document: file(3, 12 * 1024 * 1024) },
      caption: text(''),
    } satisfies Td.messageDocument;
    expect(translateContent(doc)).toMatchObject({ kind: 'document', text: '', summary: 'document backup.tar.gz (12 MB)' });
  });

  it('sticker, voice, video, video note, audio, animation', () => {
    const sticker = {
      _: 'messageSticker',
      sticker: {
        _: 'sticker',
        id: '5170233102089322756',
        set_id: '773947703670341676',
        width: 512,
        height: 512,
        emoji: '👍',
        format: { _: 'stickerFormatWebp' },
        full_type: { _: 'stickerFullTypeRegular' },
        sticker: file(4, 20_000),
      },
      is_premium: false,
    } satisfies Td.messageSticker;
    expect(translateContent(sticker)).toMatchObject({ kind: 'sticker', summary: 'sticker 👍' });

    const voice = {
      _: 'messageVoiceNote',
      voice_note: { _: 'voiceNote', duration: 12, waveform: 'AAAA', mime_type: 'audio/ogg', voice: file(5, 30_000) },
      caption: text(''),
      is_listened: false,
    } satisfies Td.messageVoiceNote;
    expect(translateContent(voice)).toMatchObject({ kind: 'voice', summary: 'voice 0:12' });

    const video = {
      _: 'messageVideo',
      video: {
        _: 'video',
        duration: 95,
        width: 1920,
        height: 1080,
        file_name: 'incident.mp4',
        mime_type: 'video/mp4',
        has_stickers: false,
        supports_streaming: true,
        video: file(6, 9_000_000),
      },
      alternative_videos: [],
      storyboards: [],
      start_timestamp: 0,
      caption: text('repro'),
      show_caption_above_media: false,
      has_spoiler: false,
      is_secret: false,
    } satisfies Td.messageVideo;
    expect(translateContent(video)).toMatchObject({ kind: 'video', text: 'repro', summary: 'video 1920×1080 1:35' });

    const note = {
      _: 'messageVideoNote',
      video_note: { _: 'videoNote', duration: 7, waveform: '', length: 384, video: file(7, 400_000) },
      is_viewed: false,
      is_secret: false,
    } satisfies Td.messageVideoNote;
    expect(translateContent(note)).toMatchObject({ kind: 'videoNote', summary: 'video message 0:07' });

    const audio = {
      _: 'messageAudio',
      audio: {
        _: 'audio',
        duration: 3725,
        title: 'Postmortem call',
        performer: 'SRE',
        file_name: 'call.mp3',
        mime_type: 'audio/mpeg',
        external_album_covers: [],
        audio: file(8, 5_000_000),
      },
      caption: text(''),
    } satisfies Td.messageAudio;
    expect(translateContent(audio)).toMatchObject({ kind: 'audio', summary: 'audio SRE – Postmortem call 1:02:05' });
  });

  it('contact without its phone number, location, poll', () => {
    const contact = {
      _: 'messageContact',
      contact: { _: 'contact', phone_number: '+15550001234', first_name: 'Ivan', last_name: 'Sidorov', vcard: '', user_id: 77 },
    } satisfies Td.messageContact;
    const c = translateContent(contact);
    expect(c).toMatchObject({ kind: 'contact', summary: 'contact Ivan Sidorov' });
    expect(JSON.stringify(c)).not.toContain('5550001234');

    const location = {
      _: 'messageLocation',
      location: { _: 'location', latitude: 55.755826, longitude: 37.6173, horizontal_accuracy: 0 },
    } satisfies Td.messageLocation;
    expect(translateContent(location)).toMatchObject({ kind: 'location', summary: 'location 55.75583, 37.61730' });

    const option = (id: string, label: string) =>
      ({ _: 'pollOption', id, text: text(label), voter_count: 0, vote_percentage: 0, recent_voter_ids: [], is_chosen: false, is_being_chosen: false, addition_date: 0 }) satisfies Td.pollOption;
    const poll = {
      _: 'messagePoll',
      poll: {
        _: 'poll',
        id: '5',
        question: text('Maintenance window: Saturday or Sunday night?', [{ _: 'textEntity', offset: 0, length: 11, type: { _: 'textEntityTypeBold' } }]),
        options: [option('0', 'Saturday'), option('1', 'Sunday')],
        total_voter_count: 0,
        recent_voter_ids: [],
        can_get_voters: false,
        can_see_results: true,
        is_anonymous: true,
        allows_multiple_answers: false,
        allows_revoting: true,
        members_only: false,
        country_codes: [],
        option_order: [0, 1],
        type: { _: 'pollTypeRegular' },
        open_period: 0,
        close_date: 0,
        is_closed: false,
      },
      description: text(''),
      can_add_option: false,
    } satisfies Td.messagePoll;
    // The question is what people read (and search for); the summary says it is a poll.
    expect(translateContent(poll)).toEqual({ kind: 'poll', text: 'Maintenance window: Saturday or Sunday night?', entities: [{ offset: 0, length: 11, type: 'bold' }], summary: 'poll' });
  });

  it('formats durations and sizes', () => {
    expect(duration(0)).toBe('0:00');
    expect(duration(12)).toBe('0:12');
    expect(duration(3600)).toBe('1:00:00');
    expect(humanSize(900)).toBe('900 B');
    expect(humanSize(1536)).toBe('1.5 KB');
    expect(humanSize(12 * 1024 * 1024)).toBe('12 MB');
    expect(humanSize(2 * 1024 ** 3)).toBe('2 GB');
  });
});

describe('translateChat', () => {
  it('maps a supergroup with positions in main, archive and a folder', () => {
    const c = chat({
      positions: [
        { _: 'chatPosition', list: { _: 'chatListMain' }, order: '9223372036854775807', is_pinned: true },
        { _: 'chatPosition', list: { _: 'chatListFolder', chat_folder_id: 3 }, order: '7612345678901234567', is_pinned: false },
      ],
      notification_settings: notificationSettings({ use_default_mute_for: false, mute_for: 31_622_401 }),
    });
    const t = translateChat(c);
    expect(t).toMatchObject({
      tdChatId: -1001234567890,
      type: 'supergroup',
      typeId: 1234567890,
      title: 'ACME ⇄ Support',
      unreadCount: 3,
      lastReadInboxId: 4194304,
      lastReadOutboxId: 5242880,
      unreadMentionCount: 1,
      isMarkedAsUnread: false,
      positions: [
        // int64 order stays a string: it does not fit a double.
        { list: 'main', order: '9223372036854775807', isPinned: true },
        { list: 'folder:3', order: '7612345678901234567', isPinned: false },
      ],
    });
    expect(t.notificationSettings).toMatchObject({ useDefaultMuteFor: false, muteFor: 31_622_401 });
    expect(t.notificationSettings.raw).toEqual(c.notification_settings);
    expect(t.lastMessage?.tdMessageId).toBe(7340032);
  });

  it('maps every chat type', () => {
    const typeOf = (type: Td.ChatType) => {
      const t = translateChat(chat({ type }));
      return [t.type, t.typeId];
    };
    expect(typeOf({ _: 'chatTypePrivate', user_id: 1001 })).toEqual(['private', 1001]);
    expect(typeOf({ _: 'chatTypeBasicGroup', basic_group_id: 4242 })).toEqual(['basic', 4242]);
    expect(typeOf({ _: 'chatTypeSupergroup', supergroup_id: 77, is_channel: true })).toEqual(['channel', 77]);
    expect(typeOf({ _: 'chatTypeSecret', secret_chat_id: 9, user_id: 1001 })).toEqual(['secret', 1001]);
    expect(translateChat(chat({ last_message: undefined })).lastMessage).toBeNull();
  });
});

describe('translateUpdate', () => {
  const chatId = -1001234567890;
  const cases: [string, Td.Update, unknown][] = [
    ['auth: wait code, without the phone number', authState({
      _: 'authorizationStateWaitCode',
      code_info: { _: 'authenticationCodeInfo', phone_number: '+15550001234', type: { _: 'authenticationCodeTypeTelegramMessage', length: 5 }, timeout: 0 },
    }), { kind: 'auth', state: { kind: 'waitCode', codeLength: 5, via: 'telegramMessage' } }],
    ['auth: password', authState({
      _: 'authorizationStateWaitPassword',
      password_hint: 'cat',
      has_recovery_email_address: false,
      has_passport_data: false,
      recovery_email_address_pattern: '',
    }), { kind: 'auth', state: { kind: 'waitPassword', hint: 'cat' } }],
    ['auth: qr', authState({ _: 'authorizationStateWaitOtherDeviceConfirmation', link: 'tg://login?token=abc' }),
      { kind: 'auth', state: { kind: 'waitOtherDeviceConfirmation', link: 'tg://login?token=abc' } }],
    ['auth: ready', authState({ _: 'authorizationStateReady' }), { kind: 'auth', state: { kind: 'ready' } }],
    ['connection', { _: 'updateConnectionState', state: { _: 'connectionStateUpdating' } } satisfies Td.updateConnectionState,
      { kind: 'connection', state: 'updating' }],
    ['user', { _: 'updateUser', user: user({ status: { _: 'userStatusOnline', expires: 1772443200 } }) } satisfies Td.updateUser,
      { kind: 'user', user: { id: 1001, firstName: 'Olga', lastName: 'Petrova', username: 'olga_acme', isBot: false, lastSeenAt: 1772442900 } }],
    ['title', { _: 'updateChatTitle', chat_id: chatId, title: 'ACME' } satisfies Td.updateChatTitle,
      { kind: 'chatTitle', tdChatId: chatId, title: 'ACME' }],
    ['position', {
      _: 'updateChatPosition',
      chat_id: chatId,
      position: { _: 'chatPosition', list: { _: 'chatListArchive' }, order: '0', is_pinned: false },
    } satisfies Td.updateChatPosition, { kind: 'chatPosition', tdChatId: chatId, position: { list: 'archive', order: '0', isPinned: false } }],
    ['last message unknown: a gap signal', { _: 'updateChatLastMessage', chat_id: chatId, positions: [] } satisfies Td.updateChatLastMessage,
      { kind: 'chatLastMessage', tdChatId: chatId, lastMessage: null, positions: [] }],
    ['edited', { _: 'updateMessageEdited', chat_id: chatId, message_id: 7340032, edit_date: 1772443000 } satisfies Td.updateMessageEdited,
      { kind: 'messageEdited', tdChatId: chatId, tdMessageId: 7340032, editDate: 1772443000 }],
    ['content', { _: 'updateMessageContent', chat_id: chatId, message_id: 7340032, new_content: messageText('fixed') } satisfies Td.updateMessageContent,
      { kind: 'messageContent', tdChatId: chatId, tdMessageId: 7340032, text: 'fixed', entities: [], contentKind: 'text', mediaSummary: null }],
    ['deleted', { _: 'updateDeleteMessages', chat_id: chatId, message_ids: [1, 2], is_permanent: true, from_cache: false } satisfies Td.updateDeleteMessages,
      { kind: 'messagesDeleted', tdChatId: chatId, tdMessageIds: [1, 2], isPermanent: true }],
    ['dropped from cache only', { _: 'updateDeleteMessages', chat_id: chatId, message_ids: [3], is_permanent: false, from_cache: true } satisfies Td.updateDeleteMessages,
      { kind: 'messagesDeleted', tdChatId: chatId, tdMessageIds: [3], isPermanent: false }],
    ['read inbox', { _: 'updateChatReadInbox', chat_id: chatId, last_read_inbox_message_id: 7340032, unread_count: 0 } satisfies Td.updateChatReadInbox,
      { kind: 'readInbox', tdChatId: chatId, lastReadInboxId: 7340032, unreadCount: 0 }],
    ['read outbox', { _: 'updateChatReadOutbox', chat_id: chatId, last_read_outbox_message_id: 6291456 } satisfies Td.updateChatReadOutbox,
      { kind: 'readOutbox', tdChatId: chatId, lastReadOutboxId: 6291456 }],
    ['mention count', { _: 'updateChatUnreadMentionCount', chat_id: chatId, unread_mention_count: 2 } satisfies Td.updateChatUnreadMentionCount,
      { kind: 'unreadMentionCount', tdChatId: chatId, unreadMentionCount: 2 }],
    ['mention read', { _: 'updateMessageMentionRead', chat_id: chatId, message_id: 7340032, unread_mention_count: 1 } satisfies Td.updateMessageMentionRead,
      { kind: 'mentionRead', tdChatId: chatId, tdMessageId: 7340032, unreadMentionCount: 1 }],
    ['marked unread', { _: 'updateChatIsMarkedAsUnread', chat_id: chatId, is_marked_as_unread: true } satisfies Td.updateChatIsMarkedAsUnread,
      { kind: 'markedAsUnread', tdChatId: chatId, isMarkedAsUnread: true }],
    ['scope settings', {
      _: 'updateScopeNotificationSettings',
      scope: { _: 'notificationSettingsScopeGroupChats' },
      notification_settings: {
        _: 'scopeNotificationSettings',
        mute_for: 0,
        sound_id: '0',
        show_preview: true,
        use_default_mute_stories: true,
        mute_stories: false,
        story_sound_id: '0',
        show_story_poster: false,
        disable_pinned_message_notifications: false,
        disable_mention_notifications: false,
      },
    } satisfies Td.updateScopeNotificationSettings, { kind: 'scopeNotificationSettings', scope: 'group', muteFor: 0 }],
    ['chat member', {
      _: 'updateChatMember',
      chat_id: chatId,
      actor_user_id: 1,
      date: 1772442900,
      via_join_request: false,
      via_chat_folder_invite_link: false,
      old_chat_member: chatMember(1001, { _: 'chatMemberStatusLeft' }),
      new_chat_member: chatMember(1001, { _: 'chatMemberStatusMember', member_until_date: 0 }),
    } satisfies Td.updateChatMember, { kind: 'chatMember', tdChatId: chatId, userId: 1001, status: 'member' }],
    ['ignored update', { _: 'updateOption', name: 'version', value: { _: 'optionValueString', value: '1.8.65' } } satisfies Td.updateOption, null],
  ];

  it.each(cases)('%s', (_name, update, expected) => {
    expect(translateUpdate(update, 1772442900)).toEqual(expected);
  });

  it('translates new chats and messages, sends and notification settings', () => {
    expect(translateUpdate({ _: 'updateNewChat', chat: chat() })).toMatchObject({ kind: 'chat', chat: { tdChatId: -1001234567890 } });
    expect(translateUpdate({ _: 'updateNewMessage', message: message() })).toMatchObject({ kind: 'message', message: { tdMessageId: 7340032 } });
    expect(translateUpdate({ _: 'updateMessageSendSucceeded', message: message({ is_outgoing: true }), old_message_id: 7340033 })).toMatchObject({
      kind: 'messageSendSucceeded',
      oldTdMessageId: 7340033,
      message: { tdMessageId: 7340032, isOutgoing: true },
    });
    expect(
      translateUpdate({ _: 'updateChatNotificationSettings', chat_id: 5, notification_settings: notificationSettings({ mute_for: 60 }) }),
    ).toMatchObject({ kind: 'notificationSettings', tdChatId: 5, settings: { muteFor: 60 } });
    expect(
      translateUpdate({
        _: 'updateChatLastMessage',
        chat_id: 5,
        last_message: message({ sender_id: userSender(7) }),
        positions: [{ _: 'chatPosition', list: { _: 'chatListMain' }, order: '1', is_pinned: false }],
      }),
    ).toMatchObject({ kind: 'chatLastMessage', lastMessage: { sender: { kind: 'user', id: 7 } }, positions: [{ list: 'main' }] });
  });

  it('reports restricted or creator users who left as left', () => {
    const memberUpdate = (status: Td.ChatMemberStatus) =>
      translateUpdate({
        _: 'updateChatMember',
        chat_id: 1,
        actor_user_id: 1,
        date: 0,
        via_join_request: false,
        via_chat_folder_invite_link: false,
        old_chat_member: chatMember(5, { _: 'chatMemberStatusLeft' }),
        new_chat_member: chatMember(5, status),
      });
    expect(memberUpdate({ _: 'chatMemberStatusCreator', is_anonymous: false, is_member: false })).toMatchObject({ status: 'left' });
    const { permissions } = chat();
    expect(memberUpdate({ _: 'chatMemberStatusRestricted', is_member: false, restricted_until_date: 0, permissions })).toMatchObject({ status: 'left' });
    // Still in the chat: restricted, not gone.
    expect(memberUpdate({ _: 'chatMemberStatusRestricted', is_member: true, restricted_until_date: 0, permissions })).toMatchObject({ status: 'restricted' });
    expect(memberUpdate({ _: 'chatMemberStatusCreator', is_anonymous: false, is_member: true })).toMatchObject({ status: 'creator' });
    expect(memberUpdate({ _: 'chatMemberStatusBanned', banned_until_date: 0 })).toMatchObject({ status: 'banned' });
  });
});
