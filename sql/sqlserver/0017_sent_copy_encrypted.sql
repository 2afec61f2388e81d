-- Whether a sent copy is the transaction that carried the encrypted zip (1) or the originals (0, e.g.
-- the internal half of a split delivery). The password mail goes to exactly the recipients of the
-- zip's transactions and shows them what those copies showed. NULL: recorded before this column.

ALTER TABLE message_sent ADD encrypted BIT NULL;
