<?php
require __DIR__ . '/lib.php';

start_session();
if (current_user() !== null && $_SERVER['REQUEST_METHOD'] !== 'POST') {
    redirect('/index.php');
}

// A throwaway bcrypt hash: unknown usernames still pay for one
// password_verify(), so response time does not reveal which names exist.
const DUMMY_HASH = '$2y$10$D2paTp9OV9.G3t.xm8E.IuXZHmdnw70Lf8gZ6ZKNXEc0aNlAZoiZ.';

$error = '';
$username = '';
if ($_SERVER['REQUEST_METHOD'] === 'POST') {
    csrf_check();
    $username = trim(param($_POST, 'username'));
    $password = param($_POST, 'password');
    $row = false;
    if ($username !== '' && valid_text($username)) {
        $row = db_query(
            'SELECT id, username, password_hash FROM users WHERE lower(username) = lower(?) AND is_active',
            [$username]
        )->fetch();
    }
    // The stored hash is only verified, never rehashed: the Django app checks
    // the same column and must keep accepting it.
    $ok = password_verify($password, $row ? $row['password_hash'] : DUMMY_HASH);
    if ($row && $ok) {
        session_regenerate_id(true);
        $_SESSION['user_id'] = (int)$row['id'];
        $_SESSION['csrf'] = bin2hex(random_bytes(32));
        $pdo = db();
        $pdo->beginTransaction();
        db_query('UPDATE users SET last_login = now() WHERE id = ?', [$row['id']]);
        audit($row['id'], 'login', 'user', $row['id'], $row['username']);
        $pdo->commit();
        redirect('/index.php');
    }
    $error = 'Invalid username or password';
}

page_header('Log in');
?>
<h1>Log in</h1>
<?php if ($error !== ''): ?>
<p class="error"><?= h($error) ?></p>
<?php endif; ?>
<form method="post" action="/login.php">
  <?= csrf_field() ?>
  <label for="username">Username</label>
  <input type="text" id="username" name="username" value="<?= h($username) ?>" autofocus required>
  <label for="password">Password</label>
  <input type="password" id="password" name="password" required>
  <p><button type="submit">Log in</button></p>
</form>
<?php
page_footer();
