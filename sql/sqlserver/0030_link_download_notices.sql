-- The sender of a mail whose link has notifySenderOnFirstDownload is told of each file's first download
-- through the notification queue (kind 'link_downloaded').

ALTER TABLE notifications DROP CONSTRAINT ck_notifications_kind;
ALTER TABLE notifications ADD CONSTRAINT ck_notifications_kind
    CHECK (kind IN ('approval_request', 'approval_reminder', 'sender_outcome', 'hold_notice', 'sign_in_link', 'link_code', 'link_downloaded'));
