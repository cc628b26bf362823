namespace NRepl.Runtime.Contract;

/// <summary>
/// Version of the server/target message contract. Both sides exchange it in <see cref="Hello"/>;
/// a mismatch ends the connection with a clear error instead of misreading frames.
/// </summary>
public static class ContractVersion
{
    public const int Current = 2;
}
