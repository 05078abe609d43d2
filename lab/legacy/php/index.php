<?php
require __DIR__ . '/lib.php';

require_login();

$statuses = db_query('SELECT code, label FROM ticket_statuses ORDER BY sort_order, code')->fetchAll();
$status_codes = array_column($statuses, 'code');

$q = trim(param($_GET, 'q'));
if (!valid_text($q)) {
    $q = '';
}
$status = param($_GET, 'status');
if (!in_array($status, $status_codes, true)) {
    $status = '';
}
$page = max(1, (int)param($_GET, 'page'));
$page = min($page, 100000);  // keeps OFFSET sane

$where = [];
$params = [];
if ($q !== '') {
    // The user's text is a literal, not a pattern: escape LIKE's wildcards.
    $pattern = '%' . strtr($q, ['\\' => '\\\\', '%' => '\\%', '_' => '\\_']) . '%';
    $where[] = '(t.subject ILIKE ? OR t.body ILIKE ?)';
    $params[] = $pattern;
    $params[] = $pattern;
}
if ($status !== '') {
    $where[] = 't.status = ?';
    $params[] = $status;
}
$sql_where = $where ? 'WHERE ' . implode(' AND ', $where) : '';

// Tags are joined with the ASCII unit separator, which no tag name contains.
// One row more than a page tells whether a next page exists, without a
// count(*) over all tickets on every list view.
$params[] = TICKETS_PER_PAGE + 1;
$params[] = ($page - 1) * TICKETS_PER_PAGE;
$rows = db_query(
    "SELECT t.id, t.subject, t.priority, s.label AS status_label,
            to_char(t.updated_at, 'YYYY-MM-DD HH24:MI') AS updated,
            r.username AS reporter, a.username AS assignee,
            (SELECT string_agg(g.name, chr(31) ORDER BY g.name)
               FROM ticket_tags tt JOIN tags g ON g.id = tt.tag_id
              WHERE tt.ticket_id = t.id) AS tags
       FROM tickets t
       JOIN ticket_statuses s ON s.code = t.status
       JOIN users r ON r.id = t.reporter_id
       LEFT JOIN users a ON a.id = t.assignee_id
       $sql_where
      ORDER BY t.updated_at DESC, t.id DESC
      LIMIT ? OFFSET ?",
    $params
)->fetchAll();
$has_next = count($rows) > TICKETS_PER_PAGE;
$rows = array_slice($rows, 0, TICKETS_PER_PAGE);

function page_link($n, $q, $status)
{
    return '/index.php?' . http_build_query(['q' => $q, 'status' => $status, 'page' => $n]);
}

page_header('Tickets');
?>
<h1>Tickets</h1>
<form class="filters" method="get" action="/index.php">
  <input type="text" name="q" value="<?= h($q) ?>" placeholder="Search subject and text" style="width: 30%">
  <select name="status">
    <option value="">All statuses</option>
<?php foreach ($statuses as $s): ?>
    <option value="<?= h($s['code']) ?>"<?= $s['code'] === $status ? ' selected' : '' ?>><?= h($s['label']) ?></option>
<?php endforeach; ?>
  </select>
  <button type="submit">Filter</button>
  <a href="/ticket_edit.php">New ticket</a>
</form>
<?php if (!$rows): ?>
<p>No tickets found.</p>
<?php else: ?>
<table class="list">
  <tr><th>#</th><th>Subject</th><th>Status</th><th>Prio</th><th>Reporter</th><th>Assignee</th><th>Tags</th><th>Updated</th></tr>
<?php foreach ($rows as $t): ?>
  <tr>
    <td><?= (int)$t['id'] ?></td>
    <td><a href="/ticket.php?id=<?= (int)$t['id'] ?>"><?= h($t['subject']) ?></a></td>
    <td><?= h($t['status_label']) ?></td>
    <td><?= (int)$t['priority'] ?></td>
    <td><?= h($t['reporter']) ?></td>
    <td><?= $t['assignee'] !== null ? h($t['assignee']) : '-' ?></td>
    <td><?php foreach ($t['tags'] !== null ? explode("\x1f", $t['tags']) : [] as $tag): ?><span class="tag"><?= h($tag) ?></span><?php endforeach; ?></td>
    <td><?= h($t['updated']) ?></td>
  </tr>
<?php endforeach; ?>
</table>
<?php endif; ?>
<p class="pager">
<?php if ($page > 1): ?>
  <a href="<?= h(page_link($page - 1, $q, $status)) ?>">&laquo; Newer</a>
<?php endif; ?>
  <span>Page <?= $page ?></span>
<?php if ($has_next): ?>
  <a href="<?= h(page_link($page + 1, $q, $status)) ?>">Older &raquo;</a>
<?php endif; ?>
</p>
<?php
page_footer();
