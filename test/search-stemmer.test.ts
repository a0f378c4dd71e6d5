/**
 * The stemmers of src/domain/search-text.ts against the reference implementation of the same
 * Snowball algorithms: PostgreSQL's russian_stem and english_stem dictionaries. Stems are stored
 * in the index, so a drift here would silently split word forms apart.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { englishStem, russianStem } from '../src/domain/search-text.ts';
import { TEST_DATABASE_URL } from './helpers/stores.ts';

const ENGLISH = `
  consign consigned consigning consignment consist consisted consistency consistent consistently consisting
  consists consolation consolations consolatory console consoled consoles consolidate consolidated
  consolidating consoling consolingly consols consonant consort consorted consorting conspicuous conspicuously
  conspiracy conspirator conspirators conspire conspired conspiring constable constables constance constancy
  constant knack knackeries knacks knag knave knaves knavish kneaded kneading knee kneel kneeled kneeling
  kneels knees knell knelt knew knick knif knife knight knightly knights knit knits knitted knitting knives
  knob knobs knock knocked knocker knockers knocking knocks knopp knot knots restart restarted restarting
  restarts restarter server servers serving served deploy deployed deploying deployment deployments disk disks
  failing failed failure failures connection connections connected connecting connect timeout timeouts
  rebooting rebooted reboot reboots replication replicated replica replicas database databases backup backups
  backing backed running runs ran run happily happy happiness sky skies dying lying tying idly gently ugly
  early only singly news howe atlas cosmos bias andes inning innings outing canning herring earring proceed
  exceed succeed proceeding generous generously generate generation communication community arsenal arsenic
  yelling yellow say saying cry cries crying ties tie by bye hopping hoping hoped hope filing filed fitting
  fitted agreed agreement feed feeding bled bleeding sized sizing controller controllers controlling controlled
  monitoring monitored alerting alerts alerted memory memories cpu loaded loading overload overloaded network
  networking certificate certificates expired expiring expiration renewal renewed renewing rolling rollback
  rolled upgraded upgrading upgrade nginx postgres mysql kubernetes pods pod nodes node cluster clustered
  clustering latency latencies throughput degraded degradation investigate investigating investigation
  mitigated mitigation resolved resolving resolution escalate escalated escalation ability abilities capability
  possible possibly possibility national nationality rational relational conditional conditionally hopeful
  hopefulness usefulness goodness electrical electricity electrician formative formalize formalization
  dependency dependent dependable reliable reliably reliability agreeable abundance abundant adoption
  adjustment adjustments happening happened happens yes yesterday quickly quick sleeping slept sleepy beautiful
  beautifully beauty aggravating aggravation played playing player plays enjoy enjoying employ employed
`;
const RUSSIAN = `
  сервер сервера серверу сервером сервере серверы серверов серверам серверами серверах перезагрузка
  перезагрузки перезагрузку перезагрузкой перезагрузить перезагрузил перезагрузила перезагрузили перезагружаю
  перезагружаем перезагружается перезагрузился база базы базе базу базой баз базам базами базах данных данные
  данными упал упала упали упало падает падают лежит лежат лежал диск диска диску диском диске диски дисков
  дисках память памяти памятью ошибка ошибки ошибку ошибкой ошибок ошибками ошибках сеть сети сетью сетей
  сетями соединение соединения соединению соединением соединений соединениями подключение подключения
  подключиться подключился подключились подключаюсь проверить проверил проверила проверили проверяю проверяем
  проверка проверки проверку работает работают работал работала работали работающий работающих работающего
  рабочий рабочего рабочих красивый красивая красивое красивые красивого красивому красивыми красивейший
  красивейшая длинный длинная длиннее стоимость стоимости радость радостный радостно бегавший бегавшая играющий
  играющая прочитав прочитавши прочитавшись умывшись одевшись сделав сделавши написанный написанная написанное
  нужно нужен нужна нужны сделать сделал сделала сделали делаем делаете делают ёлка ёлки ёлкой ёж ежа ежом идёт
  идёте пойдём лёгкий лёгкая ключ ключа ключом ключи ключей обновление обновления обновлению обновлением
  обновлений обновить обновил обновили обновляем мониторинг мониторинга мониторингом алерт алерта алертов
  нагрузка нагрузки нагрузку нагрузкой высокая высокой высокую доступ доступа доступом доступен доступна
  недоступен недоступна бэкап бэкапа бэкапы бэкапов бэкапом клиент клиента клиенту клиентом клиенты клиентов
  клиентам репликация репликации реплика реплики отвалилась отвалился отвалились посмотрите посмотрю посмотрел
  посмотрела гляну глянул глянь спасибо пожалуйста хорошо отлично срочно вчера сегодня завтра
`;

describe('stemmers agree with PostgreSQL Snowball', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
  });

  it.each([
    ['english_stem', ENGLISH, englishStem],
    ['russian_stem', RUSSIAN, russianStem],
  ] as const)('%s', async (dictionary, words, stem) => {
    const list = [...new Set(words.split(/\s+/).filter(Boolean))];
    const { rows } = await client.query<{ w: string; l: string[] | null }>('SELECT w, ts_lexize($1, w) AS l FROM unnest($2::text[]) AS w', [dictionary, list]);
    // An empty result is a stop word, which the dictionary drops before stemming; nothing to compare.
    const compared = rows.filter((r) => r.l && r.l.length > 0);
    expect(compared.length).toBeGreaterThan(list.length * 0.9);
    const differ = compared.filter((r) => stem(r.w.replaceAll('ё', 'е')) !== r.l![0]).map((r) => `${r.w}: ${stem(r.w)} ≠ ${r.l![0]}`);
    expect(differ).toEqual([]);
  });
});
