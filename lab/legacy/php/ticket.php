<?php
require __DIR__ . '/lib.php';

$user = require_login();

$id = id_param();
if ($id === null) {
    not_found('Ticket');
}

$error = '';
$comment = '';
if ($_SERVER['REQUEST_METHOD'] === 'POST') {
    csrf_check();
    $comment = trim(param($_POST, 'body'));
    if ($comment === '') {
        $error = 'The comment is empty.';
    } elseif (!valid_text($comment)) {
        $error = 'The comment contains characters that cannot be stored.';
    } elseif (char_length($comment) > MAX_TEXT) {
        $error = 'The comment is too long (at most ' . MAX_TEXT . ' characters).';
    } else {
        $pdo = db();
        $pdo->beginTransaction();
        // FOR SHARE: the ticket cannot be deleted between the check and the insert.
        $subject = db_query('SELECT subject FROM tickets WHERE id = ? FOR SHARE', [$id])->fetchColumn();
        if ($subject === false) {
            $pdo->rollBack();
            not_found('Ticket');
        }
        db_query('INSERT INTO comments (ticket_id, author_id, body) VALUES (?, ?, ?)', [$id, $user['id'], $comment]);
        audit($user['id'], 'comment', 'ticket', $id, $subject);
        $pdo->commit();
        // Post/redirect/get, so a reload does not post the comment twice.
        redirect('/ticket.php?id=' . $id);
    }
}

$t = db_query(
    "SELECT t.id, t.subject, t.body, t.priority, s.label AS status_label, s.is_closed::int AS is_closed,
            to_char(t.created_at, 'YYYY-MM-DD HH24:MI') AS created,
            to_char(t.updated_at, 'YYYY-MM-DD HH24:MI') AS updated,
            r.username AS reporter, r.full_name AS reporter_name,
            a.username AS assignee, a.full_name AS assignee_name
       FROM tickets t
       JOIN ticket_statuses s ON s.code = t.status
       JOIN users r ON r.id = t.reporter_id
       LEFT JOIN users a ON a.id = t.assignee_id
      WHERE t.id = ?",
    [$id]
)->fetch();
if (!$t) {
    not_found('Ticket');
}
$tags = ticket_tag_names($id);
// comments.author_id has no FK constraint, hence the LEFT JOIN: an author
// row may be missing and the comment must still show.
$comments = db_query(
    "SELECT c.id, c.author_id, c.body, to_char(c.created_at, 'YYYY-MM-DD HH24:MI') AS created,
            u.username, u.full_name
       FROM comments c
       LEFT JOIN users u ON u.id = c.author_id
      WHERE c.ticket_id = ?
      ORDER BY c.created_at, c.id",
    [$id]
)->fetchAll();

function user_label($username, $full_name)
{
    if ($username === null) {
        return '-';
    }
    return $full_name !== null && $full_name !== '' ? "$full_name ($username)" : $username;
}

page_header('#' . $t['id'] . ' ' . $t['subject']);
?>
<h1>#<?= (int)$t['id'] ?> <?= h($t['subject']) ?></h1>
<p><a href="/ticket_edit.php?id=<?= (int)$t['id'] ?>">Edit ticket</a></p>
<table class="fields">
  <tr><th>Status</th><td><?= h($t['status_label']) ?><?= $t['is_closed'] ? ' (closed)' : '' ?></td></tr>
  <tr><th>Priority</th><td><?= (int)$t['priority'] ?></td></tr>
  <tr><th>Reporter</th><td><?= h(user_label($t['reporter'], $t['reporter_name'])) ?></td></tr>
  <tr><th>Assignee</th><td><?= h(user_label($t['assignee'], $t['assignee_name'])) ?></td></tr>
  <tr><th>Tags</th><td><?php foreach ($tags as $tag): ?><span class="tag"><?= h($tag) ?></span><?php endforeach; ?><?= $tags ? '' : '-' ?></td></tr>
  <tr><th>Created</th><td><?= h($t['created']) ?></td></tr>
  <tr><th>Updated</th><td><?= h($t['updated']) ?></td></tr>
</table>
<div class="body"><?= h($t['body']) ?></div>

<h2>Comments (<?= count($comments) ?>)</h2>
<?php foreach ($comments as $c): ?>
<div class="comment" id="c<?= (int)$c['id'] ?>">
  <div class="meta"><?= $c['username'] !== null ? h(user_label($c['username'], $c['full_name'])) : 'unknown user #' . (int)$c['author_id'] ?>
    &middot; <?= h($c['created']) ?></div>
  <div class="body"><?= h($c['body']) ?></div>
</div>
<?php endforeach; ?>

<h2>Add a comment</h2>
<?php if ($error !== ''): ?>
<p class="error"><?= h($error) ?></p>
<?php endif; ?>
<form method="post" action="/ticket.php?id=<?= (int)$t['id'] ?>">
  <?= csrf_field() ?>
  <textarea name="body" rows="5"><?= h($comment) ?></textarea>
  <p><button type="submit">Add comment</button></p>
</form>
<?php
page_footer();
