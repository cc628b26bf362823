using NRepl.Protocol.Messages;
using NRepl.Runtime.Contract;
using NRepl.Server.Dispatch;

namespace NRepl.Server.Ops;

/// <summary>
/// Reads nREPL's print middleware keys into <see cref="PrintSettings"/>. Only the limits are honoured;
/// the printer name (<c>nrepl.middleware.print/print</c>, e.g. CIDER's "cider.nrepl.pprint/clojure-pprint"),
/// <c>stream?</c>, <c>buffer-size</c> and Calva's <c>pprint</c> name Clojure printers and are ignored, never
/// an error. Numbers arrive as integers (Calva) or strings (CIDER); anything unreadable means "default" (0).
/// </summary>
internal static class PrintOptions
{
    public const string OptionsKey = "nrepl.middleware.print/options";
    public const string QuotaKey = "nrepl.middleware.print/quota";

    public static PrintSettings FromRequest(NReplMessage request)
    {
        int rightMargin = 0, length = 0, level = 0;
        if (request.GetDict(OptionsKey) is { } options)
        {
            var view = new NReplMessage(options);
            rightMargin = Limit(view, "right-margin");
            length = Limit(view, "length");
            level = Limit(view, "level");
        }

        return new PrintSettings(rightMargin, length, level, Limit(request, QuotaKey));
    }

    private static int Limit(NReplMessage message, string key) =>
        RequestFields.OptionalInt(message, key) is { } value && value > 0 ? value : 0;
}
