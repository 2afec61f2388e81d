-- When an endpoint was last switched on (NULL: on since it was created). Events that happened while
-- it was off are not delivered to it, whether or not another endpoint kept the tenant's fan-out going.

ALTER TABLE webhook_endpoints ADD enabled_at BIGINT NULL;
