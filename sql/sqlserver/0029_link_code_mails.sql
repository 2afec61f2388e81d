-- The one-time codes of download links are mailed through the notification queue (kind 'link_code').

ALTER TABLE notifications DROP CONSTRAINT ck_notifications_kind;
ALTER TABLE notifications ADD CONSTRAINT ck_notifications_kind
    CHECK (kind IN ('approval_request', 'approval_reminder', 'sender_outcome', 'hold_notice', 'sign_in_link', 'link_code'));
