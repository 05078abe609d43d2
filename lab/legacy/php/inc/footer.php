<?php
if (!defined('HELPDESK')) {
    http_response_code(404);
    exit;
}
?>
</div>
<div id="footer">Helpdesk (legacy PHP edition)</div>
</body>
</html>
