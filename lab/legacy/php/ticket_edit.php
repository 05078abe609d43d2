<?php
require __DIR__ . '/lib.php';

$user = require_login();

// With ?id=N this edits ticket N, without it creates a new ticket.
$id = null;
if (param($_GET, 'id') !== '') {
    $id = id_param();
    if ($id === null) {
        not_found('Ticket');
    }
}

$statuses = db_query('SELECT code, label FROM ticket_statuses ORDER BY sort_order, code')->fetchAll();
$status_codes = array_column($statuses, 'code');

if ($id !== null) {
    $ticket = db_query(
        'SELECT id, subject, body, status, priority, assignee_id FROM tickets WHERE id = ?',
        [$id]
    )->fetch();
    if (!$ticket) {
        not_found('Ticket');
    }
    $form = [
        'subject' => $ticket['subject'],
        'body' => $ticket['body'],
        'status' => $ticket['status'],
        'priority' => (string)$ticket['priority'],
        'assignee_id' => $ticket['assignee_id'] === null ? '' : (string)$ticket['assignee_id'],
        'tags' => implode(', ', ticket_tag_names($id)),
    ];
} else {
    $ticket = null;
    $form = ['subject' => '', 'body' => '', 'status' => 'open', 'priority' => '3', 'assignee_id' => '', 'tags' => ''];
}
// The current assignee stays selectable even after being deactivated, so
// an unrelated edit does not silently unassign the ticket.
$assignees = db_query(
    'SELECT id, username, full_name FROM users WHERE is_active OR id = ? ORDER BY lower(username)',
    [$ticket && $ticket['assignee_id'] !== null ? $ticket['assignee_id'] : 0]
)->fetchAll();
$assignee_ids = array_map('strval', array_column($assignees, 'id'));

// Splits "a, b ,,c" into unique, trimmed, lower-case names.
function parse_tags($text)
{
    $names = [];
    foreach (explode(',', $text) as $part) {
        $name = strtolower(trim(preg_replace('/\s+/u', ' ', $part)));
        if ($name !== '' && !in_array($name, $names, true)) {
            $names[] = $name;
        }
    }
    return $names;
}

// Returns the error message, or '' when the form is valid.
function validate(array $form, array $status_codes, array $assignee_ids)
{
    foreach ($form as $value) {
        if (!valid_text($value)) {
            return 'The form contains characters that cannot be stored.';
        }
    }
    if ($form['subject'] === '') {
        return 'The subject is required.';
    }
    if (char_length($form['subject']) > MAX_SUBJECT) {
        return 'The subject is too long (at most ' . MAX_SUBJECT . ' characters).';
    }
    if (char_length($form['body']) > MAX_TEXT) {
        return 'The text is too long (at most ' . MAX_TEXT . ' characters).';
    }
    if (!in_array($form['status'], $status_codes, true)) {
        return 'Please choose a valid status.';
    }
    if (!preg_match('/^[1-5]$/', $form['priority'])) {
        return 'The priority must be a number from 1 to 5.';
    }
    if ($form['assignee_id'] !== '' && !in_array($form['assignee_id'], $assignee_ids, true)) {
        return 'Please choose a valid assignee.';
    }
    foreach (parse_tags($form['tags']) as $name) {
        if (char_length($name) > MAX_TAG) {
            return 'Tag names can have at most ' . MAX_TAG . ' characters.';
        }
    }
    return '';
}

// Makes the ticket's tags exactly $names, creating missing tags.
function save_tags($ticket_id, array $names)
{
    $tag_ids = [];
    foreach ($names as $name) {
        $tag_id = db_query('SELECT id FROM tags WHERE name = ?', [$name])->fetchColumn();
        if ($tag_id === false) {
            // Another request may create the same tag at the same moment;
            // DO NOTHING plus the second SELECT covers that race.
            $tag_id = db_query('INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING RETURNING id', [$name])->fetchColumn();
            if ($tag_id === false) {
                $tag_id = db_query('SELECT id FROM tags WHERE name = ?', [$name])->fetchColumn();
            }
        }
        $tag_ids[] = (int)$tag_id;
    }
    db_query(
        'DELETE FROM ticket_tags WHERE ticket_id = ? AND NOT (tag_id = ANY (?::int[]))',
        [$ticket_id, '{' . implode(',', $tag_ids) . '}']
    );
    foreach ($tag_ids as $tag_id) {
        db_query('INSERT INTO ticket_tags (ticket_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [$ticket_id, $tag_id]);
    }
}

$error = '';
if ($_SERVER['REQUEST_METHOD'] === 'POST') {
    csrf_check();
    foreach (array_keys($form) as $field) {
        $form[$field] = param($_POST, $field);
    }
    $form['subject'] = trim($form['subject']);
    // Browsers send CRLF; store plain newlines like the rest of the data.
    $form['body'] = str_replace("\r\n", "\n", $form['body']);
    $error = validate($form, $status_codes, $assignee_ids);
    if ($error === '') {
        $assignee = $form['assignee_id'] === '' ? null : (int)$form['assignee_id'];
        $pdo = db();
        $pdo->beginTransaction();
        if ($id === null) {
            $id = (int)db_query(
                'INSERT INTO tickets (subject, body, status, priority, reporter_id, assignee_id)
                 VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
                [$form['subject'], $form['body'], $form['status'], (int)$form['priority'], $user['id'], $assignee]
            )->fetchColumn();
            $action = 'create';
        } else {
            $found = db_query(
                'UPDATE tickets SET subject = ?, body = ?, status = ?, priority = ?, assignee_id = ?, updated_at = now()
                  WHERE id = ? RETURNING id',
                [$form['subject'], $form['body'], $form['status'], (int)$form['priority'], $assignee, $id]
            )->fetchColumn();
            if ($found === false) {
                $pdo->rollBack();
                not_found('Ticket');
            }
            $action = 'update';
        }
        save_tags($id, parse_tags($form['tags']));
        audit($user['id'], $action, 'ticket', $id, $form['subject']);
        $pdo->commit();
        redirect('/ticket.php?id=' . $id);
    }
}

$title = $id === null ? 'New ticket' : 'Edit ticket #' . $id;
page_header($title);
?>
<h1><?= h($title) ?></h1>
<?php if ($error !== ''): ?>
<p class="error"><?= h($error) ?></p>
<?php endif; ?>
<form method="post" action="/ticket_edit.php<?= $id !== null ? '?id=' . $id : '' ?>">
  <?= csrf_field() ?>
  <label for="subject">Subject</label>
  <input type="text" id="subject" name="subject" value="<?= h($form['subject']) ?>" maxlength="<?= MAX_SUBJECT ?>" required>
  <label for="body">Description</label>
  <textarea id="body" name="body" rows="8"><?= h($form['body']) ?></textarea>
  <label for="status">Status</label>
  <select id="status" name="status">
<?php foreach ($statuses as $s): ?>
    <option value="<?= h($s['code']) ?>"<?= $s['code'] === $form['status'] ? ' selected' : '' ?>><?= h($s['label']) ?></option>
<?php endforeach; ?>
  </select>
  <label for="priority">Priority (1 = highest, 5 = lowest)</label>
  <select id="priority" name="priority">
<?php for ($p = 1; $p <= 5; $p++): ?>
    <option value="<?= $p ?>"<?= (string)$p === $form['priority'] ? ' selected' : '' ?>><?= $p ?></option>
<?php endfor; ?>
  </select>
  <label for="assignee_id">Assignee</label>
  <select id="assignee_id" name="assignee_id">
    <option value="">(nobody)</option>
<?php foreach ($assignees as $a): ?>
    <option value="<?= (int)$a['id'] ?>"<?= (string)$a['id'] === $form['assignee_id'] ? ' selected' : '' ?>><?= h($a['full_name'] !== '' ? $a['full_name'] . ' (' . $a['username'] . ')' : $a['username']) ?></option>
<?php endforeach; ?>
  </select>
  <label for="tags">Tags (comma separated)</label>
  <input type="text" id="tags" name="tags" value="<?= h($form['tags']) ?>">
  <p><button type="submit"><?= $id === null ? 'Create ticket' : 'Save' ?></button>
<?php if ($id !== null): ?>
    <a href="/ticket.php?id=<?= $id ?>">Cancel</a>
<?php endif; ?>
  </p>
</form>
<?php
page_footer();
