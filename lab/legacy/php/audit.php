<?php
require __DIR__ . '/lib.php';

require_admin();

// audit_log has no key and no index on happened_at, so this sorts the whole
// table; acceptable for an admin page that is rarely opened.
$rows = db_query(
    "SELECT to_char(a.happened_at, 'YYYY-MM-DD HH24:MI:SS') AS happened, a.user_id, u.username,
            a.action, a.entity, a.entity_id, a.details
       FROM audit_log a
       LEFT JOIN users u ON u.id = a.user_id
      ORDER BY a.happened_at DESC
      LIMIT 100"
)->fetchAll();

page_header('Audit log');
?>
<h1>Audit log</h1>
<p>The latest 100 entries.</p>
<table class="list">
  <tr><th>When</th><th>User</th><th>Action</th><th>Entity</th><th>Details</th></tr>
<?php foreach ($rows as $r): ?>
  <tr>
    <td><?= h($r['happened']) ?></td>
    <td><?= $r['username'] !== null ? h($r['username']) : ($r['user_id'] !== null ? '#' . h($r['user_id']) : '-') ?></td>
    <td><?= h($r['action']) ?></td>
    <td>
<?php if ($r['entity'] === 'ticket' && $r['entity_id'] !== null): ?>
      <a href="/ticket.php?id=<?= (int)$r['entity_id'] ?>">ticket #<?= (int)$r['entity_id'] ?></a>
<?php else: ?>
      <?= h($r['entity']) ?><?= $r['entity_id'] !== null ? ' #' . h($r['entity_id']) : '' ?>
<?php endif; ?>
    </td>
    <td><?= h($r['details']) ?></td>
  </tr>
<?php endforeach; ?>
</table>
<?php
page_footer();
