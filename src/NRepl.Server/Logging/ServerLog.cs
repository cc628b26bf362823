namespace NRepl.Server.Logging;

/// <summary>
/// Every log event of the server, as source-generated methods with stable event ids, split by concern:
/// Connections 1-29, Sessions 30-49, Ops 50-69, Hosting and shutdown 70-99. Ids are never reused or
/// renumbered; new events take the next free id of their range.
/// </summary>
internal static partial class ServerLog
{
}
