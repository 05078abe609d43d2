<?php
// Copy to config.php (not committed) or point the HELPDESK_CONFIG environment
// variable at a file like this one. On the lab hosts Ansible renders it
// (mode 0640, owner root, group www-data).
$HELPDESK_DB = [
    'dsn' => 'pgsql:host=127.0.0.1;port=5432;dbname=helpdesk',
    'user' => 'helpdesk',
    'password' => 'change-me',
];
