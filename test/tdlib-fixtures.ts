/**
 * TDLib objects for the src/tdlib tests, typed with `satisfies` against tdlib-types so that a
 * field TDLib 1.8.65 does not have (or no longer has) fails tsc here.
 */
import type * as Td from 'tdlib-types';

export const file = (id: number, size: number) =>
  ({
    _: 'file',
    id,
    size,
    expected_size: size,
    local: {
      _: 'localFile',
      path: '',
      can_be_downloaded: true,
      can_be_deleted: false,
      is_downloading_active: false,
      is_downloading_completed: false,
      download_offset: 0,
      downloaded_prefix_size: 0,
      downloaded_size: 0,
    },
    remote: {
      _: 'remoteFile',
      id: `AgACAgIAAxkBAAI${id}`,
      unique_id: `AQAD${id}`,
      is_uploading_active: false,
      is_uploading_completed: true,
      uploaded_size: size,
    },
  }) satisfies Td.file;

export const text = (t: string, entities: Td.textEntity[] = []) => ({ _: 'formattedText', text: t, entities }) satisfies Td.formattedText;

export const messageText = (t: string, entities: Td.textEntity[] = []) =>
  ({ _: 'messageText', text: text(t, entities) }) satisfies Td.messageText;

export const userSender = (user_id: number) => ({ _: 'messageSenderUser', user_id }) satisfies Td.messageSenderUser;

/** A message in a supergroup (-1001234567890) from user 1001, 2026-03-02 09:15:00 UTC. */
export function message(overrides: Partial<Td.message> = {}): Td.message {
  return {
    _: 'message',
    id: 7340032, // server id 7 << 20
    sender_id: userSender(1001),
    chat_id: -1001234567890,
    is_outgoing: false,
    is_pinned: false,
    is_from_offline: false,
    can_be_saved: true,
    has_timestamped_media: false,
    is_channel_post: false,
    is_paid_star_suggested_post: false,
    is_paid_ton_suggested_post: false,
    contains_unread_mention: false,
    contains_unread_poll_votes: false,
    date: 1772442900,
    edit_date: 0,
    unread_reactions: [],
    self_destruct_in: 0,
    auto_delete_in: 0,
    via_bot_user_id: 0,
    sender_business_bot_user_id: 0,
    sender_boost_count: 0,
    sender_tag: '',
    paid_message_star_count: 0,
    author_signature: '',
    media_album_id: '0',
    effect_id: '0',
    summary_language_code: '',
    content: messageText('Server db-3 is down again, can someone look?'),
    ...overrides,
  } satisfies Td.message;
}

export const notificationSettings = (overrides: Partial<Td.chatNotificationSettings> = {}): Td.chatNotificationSettings =>
  ({
    _: 'chatNotificationSettings',
    use_default_mute_for: true,
    mute_for: 0,
    use_default_sound: true,
    sound_id: '0',
    use_default_show_preview: true,
    show_preview: false,
    use_default_mute_stories: true,
    mute_stories: false,
    use_default_story_sound: true,
    story_sound_id: '0',
    use_default_show_story_poster: true,
    show_story_poster: false,
    use_default_disable_pinned_message_notifications: true,
    disable_pinned_message_notifications: false,
    use_default_disable_mention_notifications: true,
    disable_mention_notifications: false,
    ...overrides,
  }) satisfies Td.chatNotificationSettings;

const permissions = {
  _: 'chatPermissions',
  can_send_basic_messages: true,
  can_send_audios: true,
  can_send_documents: true,
  can_send_photos: true,
  can_send_videos: true,
  can_send_video_notes: true,
  can_send_voice_notes: true,
  can_send_polls: true,
  can_send_other_messages: true,
  can_add_link_previews: true,
  can_react_to_messages: true,
  can_edit_tag: false,
  can_change_info: false,
  can_invite_users: true,
  can_pin_messages: false,
  can_create_topics: false,
} satisfies Td.chatPermissions;

export function chat(overrides: Partial<Td.chat> = {}): Td.chat {
  return {
    _: 'chat',
    id: -1001234567890,
    type: { _: 'chatTypeSupergroup', supergroup_id: 1234567890, is_channel: false },
    title: 'ACME ⇄ Support',
    accent_color_id: 3,
    background_custom_emoji_id: '0',
    profile_accent_color_id: -1,
    profile_background_custom_emoji_id: '0',
    permissions,
    last_message: message(),
    positions: [{ _: 'chatPosition', list: { _: 'chatListMain' }, order: '7612345678901234567', is_pinned: false }],
    chat_lists: [{ _: 'chatListMain' }],
    has_protected_content: false,
    is_translatable: false,
    is_marked_as_unread: false,
    view_as_topics: false,
    has_scheduled_messages: false,
    can_be_deleted_only_for_self: true,
    can_be_deleted_for_all_users: false,
    can_be_reported: true,
    default_disable_notification: false,
    unread_count: 3,
    last_read_inbox_message_id: 4194304,
    last_read_outbox_message_id: 5242880,
    unread_mention_count: 1,
    unread_reaction_count: 0,
    unread_poll_vote_count: 0,
    notification_settings: notificationSettings(),
    available_reactions: { _: 'chatAvailableReactionsAll', max_reaction_count: 11 },
    message_auto_delete_time: 0,
    video_chat: { _: 'videoChat', group_call_id: 0, has_participants: false },
    reply_markup_message_id: 0,
    client_data: '',
    ...overrides,
  } satisfies Td.chat;
}

export function user(overrides: Partial<Td.user> = {}): Td.user {
  return {
    _: 'user',
    id: 1001,
    first_name: 'Olga',
    last_name: 'Petrova',
    usernames: { _: 'usernames', active_usernames: ['olga_acme'], disabled_usernames: [], editable_username: 'olga_acme', collectible_usernames: [] },
    phone_number: '15550001234',
    status: { _: 'userStatusOffline', was_online: 1772442000 },
    accent_color_id: 1,
    background_custom_emoji_id: '0',
    profile_accent_color_id: -1,
    profile_background_custom_emoji_id: '0',
    is_contact: false,
    is_mutual_contact: false,
    is_close_friend: false,
    is_premium: false,
    is_support: false,
    restricts_new_chats: false,
    paid_message_star_count: 0,
    have_access: true,
    type: { _: 'userTypeRegular' },
    language_code: 'en',
    added_to_attachment_menu: false,
    ...overrides,
  } satisfies Td.user;
}

export const chatMember = (user_id: number, status: Td.ChatMemberStatus) =>
  ({ _: 'chatMember', member_id: userSender(user_id), tag: '', inviter_user_id: 0, joined_chat_date: 1772000000, status }) satisfies Td.chatMember;

export const authState = (state: Td.AuthorizationState) =>
  ({ _: 'updateAuthorizationState', authorization_state: state }) satisfies Td.updateAuthorizationState;
