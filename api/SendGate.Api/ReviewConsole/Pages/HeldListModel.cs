using SendGate.Core.Messages;

namespace SendGate.Api.ReviewConsole.Pages;

/// <summary>The held-mail list shared by "my held mail" and the reviewers' queue.</summary>
internal sealed record HeldListModel(IReadOnlyList<MessageRow> Messages, ConsoleViewer Viewer, bool ShowSender);

/// <summary>The re-check of one mail, shared by the mail's page and the approval page.</summary>
internal sealed record MessageDetailsModel(MessageView View, ConsoleViewer Viewer);
