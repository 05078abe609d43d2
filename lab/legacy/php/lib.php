<?php
// Shared helpers of the helpdesk: config, database, session, auth, CSRF,
// escaping and the audit log. Every page starts with require 'lib.php'.

define('HELPDESK', 1);

// Errors belong in the PHP error log: a stack trace on the page would leak
// SQL and paths to users.
ini_set('display_errors', '0');
ini_set('log_errors', '1');
error_reporting(E_ALL);

set_exception_handler(function ($e) {
    error_log('helpdesk: uncaught ' . get_class($e) . ': ' . $e->getMessage()
        . ' in ' . $e->getFile() . ':' . $e->getLine());
    if (!headers_sent()) {
        http_response_code(500);
        header('Content-Type: text/html; charset=utf-8');
    }
    echo "<!DOCTYPE html>\n<title>Error</title>\n<h1>Something went wrong</h1>\n"
        . "<p>The error has been logged. Please try again later.</p>\n";
});

$HELPDESK_DB = null;
$helpdesk_config = getenv('HELPDESK_CONFIG') ?: __DIR__ . '/config.php';
if (is_readable($helpdesk_config)) {
    require $helpdesk_config;
} else {
    // Not fatal here: healthz.php must still answer (503) without a config.
    error_log("helpdesk: config file $helpdesk_config is missing or unreadable");
}

const TICKETS_PER_PAGE = 25;
const MAX_SUBJECT = 200;   // tickets.subject varchar(200)
const MAX_TAG = 50;        // tags.name varchar(50)
const MAX_TEXT = 100000;   // bodies and comments: text, but keep requests sane

function db()
{
    static $pdo = null;
    global $HELPDESK_DB;
    if ($pdo === null) {
        if (!is_array($HELPDESK_DB) || empty($HELPDESK_DB['dsn'])) {
            throw new RuntimeException('database is not configured ($HELPDESK_DB)');
        }
        $pdo = new PDO($HELPDESK_DB['dsn'], $HELPDESK_DB['user'] ?? null, $HELPDESK_DB['password'] ?? null, [
            PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
            PDO::ATTR_DEFAULT_FETCH_MODE => PDO::FETCH_ASSOC,
        ]);
    }
    return $pdo;
}

function db_query($sql, array $params = [])
{
    $stmt = db()->prepare($sql);
    $stmt->execute($params);
    return $stmt;
}

function h($s)
{
    return htmlspecialchars((string)$s, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
}

function redirect($url)
{
    header('Location: ' . $url, true, 302);
    exit;
}

function start_session()
{
    if (session_status() === PHP_SESSION_ACTIVE) {
        return;
    }
    $https = !empty($_SERVER['HTTPS']) && $_SERVER['HTTPS'] !== 'off';
    session_start([
        'use_strict_mode' => 1,
        'cookie_httponly' => 1,
        'cookie_samesite' => 'Lax',
        'cookie_secure' => $https ? 1 : 0,
    ]);
}

// The logged-in user's row, or null. Re-read on every request so that a
// user deactivated by an admin loses access at once.
function current_user()
{
    static $user = false;
    if ($user !== false) {
        return $user;
    }
    start_session();
    $user = null;
    if (!empty($_SESSION['user_id'])) {
        $row = db_query(
            'SELECT id, username, full_name, is_admin::int AS is_admin FROM users WHERE id = ? AND is_active',
            [(int)$_SESSION['user_id']]
        )->fetch();
        if ($row) {
            $user = $row;
        } else {
            unset($_SESSION['user_id']);
        }
    }
    return $user;
}

function require_login()
{
    $user = current_user();
    if ($user === null) {
        redirect('/login.php');
    }
    return $user;
}

function require_admin()
{
    $user = require_login();
    if (!$user['is_admin']) {
        http_response_code(403);
        page_header('Forbidden');
        echo "<p class=\"error\">Only administrators can see this page.</p>\n";
        page_footer();
        exit;
    }
    return $user;
}

function csrf_token()
{
    start_session();
    if (empty($_SESSION['csrf'])) {
        $_SESSION['csrf'] = bin2hex(random_bytes(32));
    }
    return $_SESSION['csrf'];
}

function csrf_field()
{
    return '<input type="hidden" name="csrf" value="' . h(csrf_token()) . '">';
}

// Stops the request with 400 when a POST lacks the session's token.
function csrf_check()
{
    start_session();
    $sent = isset($_POST['csrf']) && is_string($_POST['csrf']) ? $_POST['csrf'] : '';
    if (empty($_SESSION['csrf']) || !hash_equals($_SESSION['csrf'], $sent)) {
        http_response_code(400);
        page_header('Form expired');
        echo "<p class=\"error\">The form has expired or was not sent from this site. "
            . "Please go back, reload the page and try again.</p>\n";
        page_footer();
        exit;
    }
}

// One audit_log row. The Django app writes rows of the same shape, so keep
// action/entity values and the meaning of details stable (see README.md).
function audit($user_id, $action, $entity, $entity_id, $details)
{
    db_query(
        'INSERT INTO audit_log (user_id, action, entity, entity_id, details) VALUES (?, ?, ?, ?, ?)',
        [$user_id, $action, $entity, $entity_id, $details]
    );
}

// A POST/GET value as a string; arrays (name[]=...) and absent values become ''.
function param($source, $name)
{
    return isset($source[$name]) && is_string($source[$name]) ? $source[$name] : '';
}

// Request text PostgreSQL will accept: valid UTF-8 without NUL bytes.
// Without this, bad bytes end as a database error and a 500.
function valid_text($s)
{
    return preg_match('//u', $s) === 1 && strpos($s, "\0") === false;
}

// Length in characters. mbstring is not part of Debian's php-cli, so PCRE counts.
function char_length($s)
{
    return preg_match_all('/./su', $s);
}

function page_header($title)
{
    $user = current_user();
    require __DIR__ . '/inc/header.php';
}

function page_footer()
{
    require __DIR__ . '/inc/footer.php';
}

function not_found($what = 'Page')
{
    http_response_code(404);
    page_header('Not found');
    echo '<p class="error">' . h($what) . " not found.</p>\n";
    page_footer();
    exit;
}

// A positive int4 id from the query string, or null. Anything larger than
// int4 would make PostgreSQL raise instead of finding nothing.
function id_param($name = 'id')
{
    $v = param($_GET, $name);
    if (!preg_match('/^[1-9][0-9]{0,9}$/', $v) || (int)$v > 2147483647) {
        return null;
    }
    return (int)$v;
}

function ticket_tag_names($ticket_id)
{
    return db_query(
        'SELECT g.name FROM ticket_tags tt JOIN tags g ON g.id = tt.tag_id WHERE tt.ticket_id = ? ORDER BY g.name',
        [$ticket_id]
    )->fetchAll(PDO::FETCH_COLUMN);
}
