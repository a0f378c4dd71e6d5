/**
 * Builders for the TDLib objects that do not depend on who is looking: users, files, message
 * contents, settings, member statuses. Every builder returns the exact TDLib 1.8.65 type, so a
 * field TDLib does not have fails the type check.
 */
import type * as Td from 'tdlib-types';
import type { AdminRights, MemberRole, NotificationScope, SimMembership, SimUser } from './model.ts';

// ── notification settings ────────────────────────────────────────────────────────────────────

/** A chat nobody has touched: every field follows the scope defaults. */
export function defaultChatNotificationSettings(): Td.chatNotificationSettings {
  return {
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
  };
}

/**
 * What TDLib stores for `setChatNotificationSettings`: the request REPLACES the object, and every
 * omitted field takes its zero value (false, 0, "0"). Sending only `mute_for` therefore also
 * turns `use_default_sound` off, exactly the trap tdlib-notes §1 warns about.
 */
export function chatNotificationSettingsFromInput(input: Td.chatNotificationSettings$Input | undefined): Td.chatNotificationSettings {
  const i = input ?? { _: 'chatNotificationSettings' };
  return {
    _: 'chatNotificationSettings',
    use_default_mute_for: i.use_default_mute_for ?? false,
    mute_for: Math.max(0, i.mute_for ?? 0),
    use_default_sound: i.use_default_sound ?? false,
    sound_id: String(i.sound_id ?? 0),
    use_default_show_preview: i.use_default_show_preview ?? false,
    show_preview: i.show_preview ?? false,
    use_default_mute_stories: i.use_default_mute_stories ?? false,
    mute_stories: i.mute_stories ?? false,
    use_default_story_sound: i.use_default_story_sound ?? false,
    story_sound_id: String(i.story_sound_id ?? 0),
    use_default_show_story_poster: i.use_default_show_story_poster ?? false,
    show_story_poster: i.show_story_poster ?? false,
    use_default_disable_pinned_message_notifications: i.use_default_disable_pinned_message_notifications ?? false,
    disable_pinned_message_notifications: i.disable_pinned_message_notifications ?? false,
    use_default_disable_mention_notifications: i.use_default_disable_mention_notifications ?? false,
    disable_mention_notifications: i.disable_mention_notifications ?? false,
  };
}

export function defaultScopeNotificationSettings(): Td.scopeNotificationSettings {
  return {
    _: 'scopeNotificationSettings',
    mute_for: 0,
    sound_id: '0',
    show_preview: true,
    use_default_mute_stories: true,
    mute_stories: false,
    story_sound_id: '0',
    show_story_poster: true,
    disable_pinned_message_notifications: false,
    disable_mention_notifications: false,
  };
}

/** `setScopeNotificationSettings` replaces the object too. */
export function scopeNotificationSettingsFromInput(input: Td.scopeNotificationSettings$Input | undefined): Td.scopeNotificationSettings {
  const i = input ?? { _: 'scopeNotificationSettings' };
  return {
    _: 'scopeNotificationSettings',
    mute_for: Math.max(0, i.mute_for ?? 0),
    sound_id: String(i.sound_id ?? 0),
    show_preview: i.show_preview ?? false,
    use_default_mute_stories: i.use_default_mute_stories ?? false,
    mute_stories: i.mute_stories ?? false,
    story_sound_id: String(i.story_sound_id ?? 0),
    show_story_poster: i.show_story_poster ?? false,
    disable_pinned_message_notifications: i.disable_pinned_message_notifications ?? false,
    disable_mention_notifications: i.disable_mention_notifications ?? false,
  };
}

export function scopeObject(scope: NotificationScope): Td.NotificationSettingsScope {
  switch (scope) {
    case 'private':
      return { _: 'notificationSettingsScopePrivateChats' };
    case 'group':
      return { _: 'notificationSettingsScopeGroupChats' };
    case 'channel':
      return { _: 'notificationSettingsScopeChannelChats' };
  }
}

export function scopeFromInput(scope: Td.NotificationSettingsScope$Input | undefined): NotificationScope | null {
  switch (scope?._) {
    case 'notificationSettingsScopePrivateChats':
      return 'private';
    case 'notificationSettingsScopeGroupChats':
      return 'group';
    case 'notificationSettingsScopeChannelChats':
      return 'channel';
    default:
      return null;
  }
}

// ── users and members ────────────────────────────────────────────────────────────────────────

export function buildUser(user: SimUser, viewerId: number, now: number): Td.user {
  const isSelf = user.id === viewerId;
  const viewerKnowsPhone = isSelf;
  return {
    _: 'user',
    id: user.id,
    first_name: user.firstName,
    last_name: user.lastName,
    usernames: user.username
      ? { _: 'usernames', active_usernames: [user.username], disabled_usernames: [], editable_username: user.username, collectible_usernames: [] }
      : undefined,
    phone_number: viewerKnowsPhone ? user.phone.replace(/\D/g, '') : '',
    status: isSelf ? { _: 'userStatusOffline', was_online: now } : { _: 'userStatusRecently', by_my_privacy_settings: false },
    accent_color_id: user.id % 7,
    background_custom_emoji_id: '0',
    profile_accent_color_id: -1,
    profile_background_custom_emoji_id: '0',
    is_contact: false,
    is_mutual_contact: false,
    is_close_friend: false,
    is_premium: false,
    is_support: false,
    restricts_new_chats: user.restrictsNewChats,
    paid_message_star_count: 0,
    have_access: true,
    type: { _: 'userTypeRegular' },
    language_code: '',
    added_to_attachment_menu: false,
  } satisfies Td.user;
}

export function adminRightsObject(rights: AdminRights): Td.chatAdministratorRights {
  return {
    _: 'chatAdministratorRights',
    can_manage_chat: true,
    can_change_info: true,
    can_post_messages: false,
    can_edit_messages: false,
    can_delete_messages: true,
    can_invite_users: rights.canInviteUsers,
    can_restrict_members: rights.canRestrictMembers,
    can_pin_messages: true,
    can_manage_topics: false,
    can_promote_members: rights.canPromoteMembers,
    can_manage_video_chats: true,
    can_post_stories: false,
    can_edit_stories: false,
    can_delete_stories: false,
    can_manage_direct_messages: false,
    can_manage_tags: false,
    is_anonymous: false,
  };
}

export function memberStatus(membership: SimMembership | undefined, bannedUntil: number | undefined): Td.ChatMemberStatus {
  if (bannedUntil !== undefined) return { _: 'chatMemberStatusBanned', banned_until_date: bannedUntil };
  if (!membership) return { _: 'chatMemberStatusLeft' };
  return roleStatus(membership.role, membership.rights);
}

export function roleStatus(role: MemberRole, rights: AdminRights): Td.ChatMemberStatus {
  switch (role) {
    case 'creator':
      return { _: 'chatMemberStatusCreator', is_anonymous: false, is_member: true };
    case 'administrator':
      return { _: 'chatMemberStatusAdministrator', can_be_edited: false, rights: adminRightsObject(rights) };
    case 'member':
      return { _: 'chatMemberStatusMember', member_until_date: 0 };
  }
}

export function chatMember(m: SimMembership): Td.chatMember {
  return {
    _: 'chatMember',
    member_id: { _: 'messageSenderUser', user_id: m.userId },
    tag: '',
    inviter_user_id: m.inviterUserId,
    joined_chat_date: m.joinedAt,
    status: roleStatus(m.role, m.rights),
  };
}

export function chatPermissions(membersCanInvite: boolean): Td.chatPermissions {
  return {
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
    can_invite_users: membersCanInvite,
    can_pin_messages: false,
    can_create_topics: false,
  };
}

// ── message contents ─────────────────────────────────────────────────────────────────────────

export function formattedText(text: string, entities: readonly Td.textEntity[]): Td.formattedText {
  return { _: 'formattedText', text, entities: [...entities] };
}

export function textContent(text: string, entities: readonly Td.textEntity[], linkPreviewDisabled: boolean): Td.messageText {
  return {
    _: 'messageText',
    text: formattedText(text, entities),
    link_preview_options: linkPreviewDisabled
      ? { _: 'linkPreviewOptions', is_disabled: true, url: '', force_small_media: false, force_large_media: false, show_above_text: false }
      : undefined,
  };
}

/** A remote file the account has not downloaded, as TDLib describes it. */
export function remoteFile(fileId: number, size: number, prefix: string): Td.file {
  return {
    _: 'file',
    id: fileId,
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
      id: `${prefix}AAQCAADsim${fileId.toString(36)}`,
      unique_id: `AQAD${fileId.toString(36)}`,
      is_uploading_active: false,
      is_uploading_completed: true,
      uploaded_size: size,
    },
  };
}

export function stickerContent(emoji: string, fileId: number, stickerId: string, setId: string): Td.messageSticker {
  return {
    _: 'messageSticker',
    sticker: {
      _: 'sticker',
      id: stickerId,
      set_id: setId,
      width: 512,
      height: 512,
      emoji,
      format: { _: 'stickerFormatWebp' },
      full_type: { _: 'stickerFullTypeRegular' },
      thumbnail: { _: 'thumbnail', format: { _: 'thumbnailFormatWebp' }, width: 128, height: 128, file: remoteFile(fileId + 1, 4_096, 'CAAC') },
      sticker: remoteFile(fileId, 28_000, 'CAAC'),
    },
    is_premium: false,
  };
}

export function photoContent(caption: Td.formattedText, fileId: number, width: number, height: number): Td.messagePhoto {
  const size = (type: string, w: number, h: number, id: number, bytes: number): Td.photoSize => ({
    _: 'photoSize',
    type,
    photo: remoteFile(id, bytes, 'AgAC'),
    width: w,
    height: h,
    progressive_sizes: [],
  });
  return {
    _: 'messagePhoto',
    photo: {
      _: 'photo',
      has_stickers: false,
      sizes: [size('m', 320, Math.round((320 * height) / width), fileId, 21_000), size('x', width, height, fileId + 1, 180_000)],
    },
    caption,
    show_caption_above_media: false,
    has_spoiler: false,
    is_secret: false,
  };
}

export function documentContent(caption: Td.formattedText, fileId: number, fileName: string, mimeType: string, size: number): Td.messageDocument {
  return {
    _: 'messageDocument',
    document: { _: 'document', file_name: fileName, mime_type: mimeType, document: remoteFile(fileId, size, 'BQAC') },
    caption,
  };
}

// ── authorization ────────────────────────────────────────────────────────────────────────────

export function authorizationState(
  state:
    | { kind: 'waitTdlibParameters' | 'waitPhoneNumber' | 'ready' | 'loggingOut' | 'closing' | 'closed' }
    | { kind: 'waitCode'; phone: string }
    | { kind: 'waitPassword'; hint: string }
    | { kind: 'waitOtherDeviceConfirmation'; link: string },
): Td.updateAuthorizationState {
  const build = (): Td.AuthorizationState => {
    switch (state.kind) {
      case 'waitTdlibParameters':
        return { _: 'authorizationStateWaitTdlibParameters' };
      case 'waitPhoneNumber':
        return { _: 'authorizationStateWaitPhoneNumber' };
      case 'ready':
        return { _: 'authorizationStateReady' };
      case 'loggingOut':
        return { _: 'authorizationStateLoggingOut' };
      case 'closing':
        return { _: 'authorizationStateClosing' };
      case 'closed':
        return { _: 'authorizationStateClosed' };
      case 'waitCode':
        return {
          _: 'authorizationStateWaitCode',
          code_info: {
            _: 'authenticationCodeInfo',
            phone_number: state.phone,
            type: { _: 'authenticationCodeTypeTelegramMessage', length: 5 },
            timeout: 0,
          },
        };
      case 'waitPassword':
        return {
          _: 'authorizationStateWaitPassword',
          password_hint: state.hint,
          has_recovery_email_address: false,
          has_passport_data: false,
          recovery_email_address_pattern: '',
        };
      case 'waitOtherDeviceConfirmation':
        return { _: 'authorizationStateWaitOtherDeviceConfirmation', link: state.link };
    }
  };
  return { _: 'updateAuthorizationState', authorization_state: build() };
}

export function intOption(value: number): Td.optionValueInteger {
  return { _: 'optionValueInteger', value: String(value) };
}
