/**
 * Names and phrases for the support company: Russian (with correct word forms) and English,
 * with the texture of a sysadmin support desk: hostnames, IPs, error codes, log lines.
 * Every generator takes an Rng, so a seed reproduces the same texts.
 */
import type { Rng } from './rng.ts';

export type Lang = 'ru' | 'en';

export interface PersonName {
  readonly firstName: string;
  readonly lastName: string;
  /** Latin transliteration of the surname, for usernames. */
  readonly latin: string;
}

// ── people ───────────────────────────────────────────────────────────────────────────────────

const RU_MALE = ['Алексей', 'Дмитрий', 'Сергей', 'Андрей', 'Михаил', 'Игорь', 'Николай', 'Павел', 'Артём', 'Владимир', 'Константин', 'Евгений', 'Максим', 'Роман', 'Олег', 'Денис', 'Кирилл', 'Григорий'];
const RU_FEMALE = ['Ольга', 'Наталья', 'Екатерина', 'Анна', 'Мария', 'Ирина', 'Татьяна', 'Светлана', 'Юлия', 'Елена', 'Дарья', 'Вера', 'Ксения', 'Алина'];
/** Male forms; the female form adds "а" (Смирнов → Смирнова), which holds for all of these. */
const RU_SURNAMES: readonly (readonly [string, string])[] = [
  ['Смирнов', 'smirnov'],
  ['Кузнецов', 'kuznetsov'],
  ['Попов', 'popov'],
  ['Соколов', 'sokolov'],
  ['Лебедев', 'lebedev'],
  ['Козлов', 'kozlov'],
  ['Новиков', 'novikov'],
  ['Морозов', 'morozov'],
  ['Волков', 'volkov'],
  ['Соловьёв', 'solovyov'],
  ['Васильев', 'vasilyev'],
  ['Зайцев', 'zaytsev'],
  ['Павлов', 'pavlov'],
  ['Семёнов', 'semyonov'],
  ['Голубев', 'golubev'],
  ['Виноградов', 'vinogradov'],
  ['Богданов', 'bogdanov'],
  ['Воробьёв', 'vorobyov'],
  ['Фёдоров', 'fyodorov'],
  ['Михайлов', 'mikhaylov'],
  ['Беляев', 'belyaev'],
  ['Тарасов', 'tarasov'],
  ['Орлов', 'orlov'],
  ['Киселёв', 'kiselyov'],
  ['Макаров', 'makarov'],
  ['Андреев', 'andreev'],
  ['Ковалёв', 'kovalyov'],
  ['Ильин', 'ilyin'],
  ['Гусев', 'gusev'],
  ['Титов', 'titov'],
];
const EN_MALE = ['James', 'Michael', 'David', 'Daniel', 'Thomas', 'Peter', 'Mark', 'Chris', 'Ryan', 'Oliver', 'Lucas', 'Adam'];
const EN_FEMALE = ['Emma', 'Olivia', 'Sarah', 'Laura', 'Rachel', 'Hannah', 'Megan', 'Chloe', 'Grace', 'Julia'];
const EN_SURNAMES = ['Miller', 'Walker', 'Hughes', 'Bennett', 'Foster', 'Carter', 'Turner', 'Collins', 'Parker', 'Morgan', 'Reed', 'Hayes', 'Price', 'Brooks', 'Wright'];

export function personName(rng: Rng, lang: Lang): PersonName {
  const female = rng.chance(0.4);
  if (lang === 'ru') {
    const [surname, latin] = rng.pick(RU_SURNAMES);
    return { firstName: rng.pick(female ? RU_FEMALE : RU_MALE), lastName: female ? `${surname}а` : surname, latin: female ? `${latin}a` : latin };
  }
  const lastName = rng.pick(EN_SURNAMES);
  return { firstName: rng.pick(female ? EN_FEMALE : EN_MALE), lastName, latin: lastName.toLowerCase() };
}

const TRANSLIT: Record<string, string> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'y', к: 'k', л: 'l', м: 'm', н: 'n', о: 'o',
  п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'sch', ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu', я: 'ya',
};

export function transliterate(text: string): string {
  return [...text.toLowerCase()].map((ch) => TRANSLIT[ch] ?? ch).join('');
}

// ── companies ────────────────────────────────────────────────────────────────────────────────

export interface Company {
  readonly name: string;
  readonly lang: Lang;
  /** Lower-case latin slug for hostnames and domains. */
  readonly slug: string;
}

const RU_COMPANIES: readonly (readonly [string, string])[] = [
  ['Аквилон', 'akvilon'],
  ['Терра Трейд', 'terratrade'],
  ['Омега-Софт', 'omegasoft'],
  ['Бирюза', 'biryuza'],
  ['СтройМаркет', 'stroymarket'],
  ['Медиапоток', 'mediapotok'],
  ['ЭкоФерма', 'ekoferma'],
  ['ГородДоставка', 'gorod-dostavka'],
  ['Радуга-Тур', 'raduga-tour'],
  ['Сибирский кедр', 'sibkedr'],
  ['Волга-Инвест', 'volga-invest'],
  ['Фармакон', 'farmakon'],
  ['Книжный двор', 'knizhny-dvor'],
  ['Полярис', 'polaris'],
  ['Каскад', 'kaskad'],
  ['Уралтехснаб', 'uraltekhsnab'],
  ['Невский берег', 'nevskiy-bereg'],
  ['Зелёный квартал', 'zelkvartal'],
  ['Пиксельная фабрика', 'pixelfab'],
  ['Меркурий Логистика', 'merkury-log'],
  ['Северный ветер', 'severveter'],
  ['Ладога Ритейл', 'ladoga-retail'],
  ['ТехноСфера', 'technosfera'],
  ['Байкал-Сервис', 'baikal-service'],
  ['Горизонт Медиа', 'gorizont'],
  ['Пекарня «Колос»', 'kolos'],
  ['Автопарк-24', 'avtopark24'],
  ['Студия «Лофт»', 'loft'],
  ['Алтай Агро', 'altai-agro'],
  ['ФинТрек', 'fintrek'],
  ['Клиника «Здоровье+»', 'zdorovie-plus'],
  ['Мебельная линия', 'mebline'],
];
const EN_COMPANIES: readonly (readonly [string, string])[] = [
  ['Acme Logistics', 'acme-log'],
  ['Brightline Media', 'brightline'],
  ['Northwind Retail', 'northwind'],
  ['Bluefin Analytics', 'bluefin'],
  ['Cobalt Games', 'cobalt'],
  ['Quill & Ink', 'quillink'],
  ['Redwood Health', 'redwood'],
  ['Skyward Travel', 'skyward'],
  ['Vertex Pay', 'vertexpay'],
  ['Harbor Labs', 'harborlabs'],
  ['Lumen Schools', 'lumen'],
  ['Orchard Foods', 'orchard'],
];

/** Distinct companies, about one in five English-speaking. */
export function companies(rng: Rng, count: number): Company[] {
  const en = Math.min(EN_COMPANIES.length, Math.round(count * 0.2));
  const ru = Math.min(RU_COMPANIES.length, count - en);
  const picked = [
    ...rng.sample(RU_COMPANIES, ru).map(([name, slug]) => ({ name, slug, lang: 'ru' as const })),
    ...rng.sample(EN_COMPANIES, en).map(([name, slug]) => ({ name, slug, lang: 'en' as const })),
  ];
  // More chats than names: numbered branches of the same companies.
  for (let i = 0; picked.length < count; i++) {
    const base = picked[i % Math.max(1, ru + en)] ?? { name: 'Клиент', slug: 'client', lang: 'ru' as const };
    picked.push({ name: `${base.name} (филиал ${i + 2})`, slug: `${base.slug}-${i + 2}`, lang: base.lang });
  }
  return rng.shuffle(picked);
}

export function chatTitle(rng: Rng, company: Company): string {
  if (company.lang === 'en') return rng.pick([`${company.name} / Support`, `${company.name} ⇄ Ops`, `${company.name} — infra`]);
  return rng.pick([`${company.name} — поддержка`, `${company.name} ⇄ Админы`, `Поддержка: ${company.name}`, `${company.name} / ИТ`]);
}

// ── word forms ───────────────────────────────────────────────────────────────────────────────

/** Russian plural: 1 минуту, 2 минуты, 5 минут, 21 минуту, 11 минут. */
export function plural(n: number, one: string, few: string, many: string): string {
  const mod10 = n % 10;
  const mod100 = n % 100;
  if (mod10 === 1 && mod100 !== 11) return one;
  if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) return few;
  return many;
}

function minutesRu(n: number): string {
  return `${n} ${plural(n, 'минуту', 'минуты', 'минут')}`;
}

// ── infrastructure texture ───────────────────────────────────────────────────────────────────

export interface Texture {
  readonly host: string;
  readonly ip: string;
  readonly svc: string;
  readonly domain: string;
}

const HOST_PREFIXES = ['web-0', 'db-prod-', 'pg-replica-', 'redis-', 'k8s-node-', 'backup-0', 'lb-', 'mq-', 'es-data-', 'app-0'];
const SERVICES = ['nginx', 'postgres', 'mysql', 'redis', 'rabbitmq', 'kafka', 'elasticsearch', 'php-fpm', 'docker', 'haproxy', 'gitlab-runner', 'clickhouse'];

export function texture(rng: Rng, company: Company): Texture {
  const host = `${rng.pick(HOST_PREFIXES)}${rng.int(1, 4)}${rng.chance(0.5) ? `.${company.slug}.example` : ''}`;
  const ip = rng.pick([`10.0.${rng.int(0, 9)}.${rng.int(2, 250)}`, `10.20.${rng.int(0, 30)}.${rng.int(2, 250)}`, `172.16.${rng.int(0, 15)}.${rng.int(2, 250)}`, `192.168.${rng.int(0, 5)}.${rng.int(2, 250)}`]);
  return { host, ip, svc: rng.pick(SERVICES), domain: `${company.slug}.example` };
}

function clock(rng: Rng): string {
  return `${String(rng.int(0, 23)).padStart(2, '0')}:${String(rng.int(0, 59)).padStart(2, '0')}`;
}

export function logLine(rng: Rng, t: Texture): string {
  const pid = rng.int(1000, 39999);
  return rng.pick([
    `ERROR [pool-3-thread-${rng.int(1, 16)}] o.h.e.j.s.SqlExceptionHelper: ORA-00942: table or view does not exist`,
    `${t.host} kernel: Out of memory: Killed process ${pid} (java) total-vm:8123456kB, anon-rss:6123400kB`,
    `[error] ${pid}#0: *${rng.int(10000, 99999)} upstream timed out (110: Connection timed out) while reading response header from upstream, client: ${t.ip}`,
    'FATAL:  remaining connection slots are reserved for non-replication superuser connections',
    `write /var/lib/docker/overlay2/${rng.token(12).toLowerCase()}/merged/var/log/app.log: no space left on device`,
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk",
    `connect ECONNREFUSED ${t.ip}:5432`,
    `[emerg] ${pid}#0: cannot load certificate "/etc/nginx/ssl/${t.domain}.crt": certificate has expired`,
    `Back-off restarting failed container ${t.svc} in pod ${t.svc}-${rng.token(5).toLowerCase()} (CrashLoopBackOff)`,
  ]);
}

// ── client messages ──────────────────────────────────────────────────────────────────────────

export function clientQuestion(rng: Rng, lang: Lang, t: Texture): string {
  const days = rng.int(2, 9);
  if (lang === 'en') {
    return rng.pick([
      `Hi team, ${t.host} has been returning 502 since ${clock(rng)}. Can you take a look?`,
      `We're seeing ENOSPC on ${t.host}, the app can't write its logs.`,
      `Could you whitelist ${t.ip} on the firewall, please?`,
      `${t.svc} on ${t.host} keeps restarting, CrashLoopBackOff again.`,
      `Getting this in our logs: ${logLine(rng, t)}`,
      `Checkout is down for customers, ORA-00942 in the logs. Urgent!`,
      `The certificate for ${t.domain} expires in ${days} days, can you renew it?`,
      `Replica lag on ${t.host} is ${rng.int(30, 900)} seconds, is that expected?`,
      `Is last night's backup OK? I can't find the file in /backup/${t.domain}/.`,
    ]);
  }
  const n = rng.int(2, 45);
  return rng.pick([
    `Добрый день! Сайт отдаёт 502, начиная с ${clock(rng)}. Посмотрите, пожалуйста.`,
    `Здравствуйте. На ${t.host} закончилось место на диске, приложение падает с ENOSPC.`,
    `Коллеги, ${t.svc} на ${t.host} не отвечает уже ${minutesRu(n)}.`,
    `Можно добавить IP ${t.ip} в белый список на файрволе?`,
    `После вчерашнего деплоя ${t.svc} съедает всю память, контейнер убивается с OOMKilled.`,
    `В логах вот такое:\n${logLine(rng, t)}`,
    `Нужен доступ по SSH на ${t.host} для нового разработчика, ключ пришлю в личку.`,
    `Срочно! Клиенты не могут оплатить заказ, в логах ORA-00942: table or view does not exist.`,
    `Подскажите, когда будет плановое обслуживание ${t.host}?`,
    `Бэкап за сегодня прошёл? Не вижу файла в /backup/${t.domain}/.`,
    `Сертификат на ${t.domain} истекает через ${days} ${plural(days, 'день', 'дня', 'дней')}, продлите, пожалуйста.`,
    `Реплика ${t.host} отстаёт на ${n} ${plural(n, 'секунду', 'секунды', 'секунд')}, это нормально?`,
    `Упал ${t.svc}, 504 Gateway Timeout на всех страницах.`,
  ]);
}

export function clientFollowUp(rng: Rng, lang: Lang): string {
  if (lang === 'en') return rng.pick(['Any update?', 'Still broken on our side.', 'Hello? This is blocking our release.', 'Any ETA?']);
  return rng.pick(['Есть новости?', 'Коллеги, ну что там?', 'Всё ещё не работает.', 'Подскажите, сколько примерно ждать?', 'Ау, кто-нибудь видит?']);
}

export function clientThanks(rng: Rng, lang: Lang): string {
  if (lang === 'en') return rng.pick(['Thanks!', 'Thank you, works now', 'Great, thanks 🙏', 'ok, thanks']);
  return rng.pick(['Спасибо!', 'Спасибо, всё работает 👍', 'Благодарю', 'ок, спасибо', 'Супер, спасибо большое']);
}

export function clientMention(rng: Rng, lang: Lang, username: string, t: Texture): string {
  if (lang === 'en') return rng.pick([`@${username} can you check ${t.host} please?`, `@${username} the issue is back, could you look again?`]);
  return rng.pick([
    `@${username} посмотрите, пожалуйста, это срочно`,
    `@${username} снова та же проблема на ${t.host}, глянете?`,
    `@${username} вы вчера обещали перенастроить бэкапы, получилось?`,
  ]);
}

// ── admin messages ───────────────────────────────────────────────────────────────────────────

export function adminAck(rng: Rng, lang: Lang): string {
  if (lang === 'en') return rng.pick(['Looking into it.', 'On it.', 'Checking now.']);
  return rng.pick(['Добрый день! Смотрю.', 'Принял, разбираюсь.', 'Смотрим.', 'Сейчас проверю.']);
}

export function adminFix(rng: Rng, lang: Lang, t: Texture): string {
  const gb = rng.int(3, 120);
  if (lang === 'en') {
    return rng.pick([
      `Restarted ${t.svc} on ${t.host}, it's responding now.`,
      `Freed ${gb} GB on ${t.host} by rotating old logs.`,
      `Whitelisted ${t.ip}.`,
      'Root cause: the connection pool was exhausted; raised max_connections to 300.',
      `Renewed the certificate for ${t.domain}, valid for 90 days.`,
      'Backup completed fine, the file is in place now.',
      'Rolled back the last release, please check.',
    ]);
  }
  return rng.pick([
    `Перезапустил ${t.svc} на ${t.host}, сейчас отвечает. Наблюдаем.`,
    `Почистил место на ${t.host}: удалил старые логи, свободно ${gb} ГБ.`,
    `Добавил ${t.ip} в белый список.`,
    'Причина: закончились соединения к базе, поднял max_connections до 300.',
    `Сертификат на ${t.domain} продлил, новый действует 90 дней.`,
    'Бэкап прошёл успешно, файл на месте.',
    'Откатили последний релиз, проверьте, пожалуйста.',
    `Это ожидаемо во время ночного бэкапа, отставание уже ушло.`,
    `Доступ выдал, пользователь deploy на ${t.host}.`,
  ]);
}

export function adminClosing(rng: Rng, lang: Lang): string {
  if (lang === 'en') return rng.pick(["You're welcome!", 'Anytime 👍', 'Glad it works.']);
  return rng.pick(['Обращайтесь!', 'Хорошего дня!', 'Пожалуйста 👍', 'Рады помочь.']);
}

export function adminCoverFor(rng: Rng, lang: Lang, colleague: string): string {
  if (lang === 'en') return `${colleague} is away right now, I'll take it.`;
  return rng.pick([`${colleague} сейчас на выезде, я посмотрю.`, `${colleague} занят, подхвачу.`]);
}

// ── team chat ────────────────────────────────────────────────────────────────────────────────

export function teamChatter(rng: Rng, t: Texture, companyName: string, mention: string | null): string {
  const at = mention ? `@${mention} ` : '';
  return rng.pick([
    'Кто сегодня дежурит ночью?',
    `Выкатываю обновление ядра на ${t.host}, будет перезагрузка минут на пять.`,
    `${at}глянь ${companyName}, у них опять 502 на ${t.host}`,
    'Планёрка в 11:00, не забываем.',
    `Кто-нибудь видел алерт по ${t.host}? Zabbix ругается на load average 24.`,
    `Завёл задачу по «${companyName}»: миграция на PostgreSQL 16.`,
    `${at}подменишь меня завтра с 9 до 13?`,
    `На ${t.ip} опять сканируют порты, добавил в fail2ban.`,
  ]);
}

// ── media ────────────────────────────────────────────────────────────────────────────────────

export function photoCaption(rng: Rng, lang: Lang): string {
  if (lang === 'en') return rng.pick(['Screenshot of the error', 'This is what customers see', '']);
  return rng.pick(['Скрин ошибки', 'Вот что видим в браузере', 'Графики нагрузки за ночь', '']);
}

export function documentName(rng: Rng, t: Texture): string {
  return rng.pick([
    'error.log',
    `${t.svc}-${rng.int(1, 28)}.log`,
    'pg_stat_activity.csv',
    'docker-compose.yml',
    'access.log.gz',
    `${t.domain}.conf`,
    'Акт_выполненных_работ.pdf',
  ]);
}

export const STICKERS = ['👍', '🙏', '🔥', '😅', '👀', '✅', '🤝'];
