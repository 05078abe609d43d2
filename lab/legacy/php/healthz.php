<?php
require __DIR__ . '/lib.php';

// No session here: load balancer probes would otherwise leave a session file each.
header('Content-Type: text/plain; charset=utf-8');
header('Cache-Control: no-store');
try {
    db_query('SELECT 1')->fetchColumn();
    echo "ok\n";
} catch (Throwable $e) {
    error_log('helpdesk: health check failed: ' . $e->getMessage());
    http_response_code(503);
    echo "database unavailable\n";
}
