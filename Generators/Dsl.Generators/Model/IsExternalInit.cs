namespace System.Runtime.CompilerServices
{
    /// <summary>Lets netstandard2.0 compile C# records (init accessors).</summary>
    internal static class IsExternalInit { }
}
