<?php
// Included by page_header(); $title and $user come from there.
if (!defined('HELPDESK')) {
    http_response_code(404);
    exit;
}
header('Content-Type: text/html; charset=utf-8');
?>
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title><?= h($title) ?> - Helpdesk</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<div id="top">
  <a class="brand" href="/index.php">Helpdesk</a>
<?php if ($user): ?>
  <a href="/index.php">Tickets</a>
  <a href="/ticket_edit.php">New ticket</a>
<?php if ($user['is_admin']): ?>
  <a href="/audit.php">Audit log</a>
<?php endif; ?>
  <span class="who">Logged in as <strong><?= h($user['username']) ?></strong>
    &middot; <a href="/logout.php">Log out</a></span>
<?php endif; ?>
</div>
<div id="content">
