using System.Reflection;
using NRepl.Runtime.Contract;
using NRepl.Runtime.Migration;

namespace NRepl.Runtime.Tests.Migration;

/// <summary>The tier rules of research/migration.md §7.3, run through the same compiled path a migration uses.</summary>
[TestFixture]
public sealed class ConversionTests
{
    public enum Color { Red = 1, Green = 2, Blue = 3 }

    public enum Hue { Green = 20, Red = 10 }

    [Flags]
    public enum Perm { None = 0, Read = 1, Write = 2, Exec = 4 }

    [Flags]
    public enum Access { Exec = 1, Write = 8, Read = 16 }

#pragma warning disable CS0649 // Fields are written through reflection by the conversion under test.
    private sealed class Holder
    {
        public long L;
        public int I;
        public uint U;
        public short Sh;
        public char Ch;
        public double D;
        public float F;
        public decimal M;
        public int? NI;
        public object? O;
        public string? S;
        public IReadOnlyList<int>? RL;
        public List<int>? LI;
        public Color C;
        public Hue H;
        public Perm P;
        public Access A;
        public readonly int ReadOnly;
    }
#pragma warning restore CS0649

    private static IEnumerable<TestCaseData> Cases()
    {
        TestCaseData Case(string from, object? value, string to, Conversion conversion, bool ok, object? expected) =>
            new TestCaseData(from, value, to, conversion, ok, expected).SetName($"Convert_{conversion}_{from}({value ?? "null"})To{to}_{(ok ? "Converted" : "Fails")}");

        yield return Case("I", 7, "L", Conversion.NumericWidening, true, 7L);
        yield return Case("Ch", 'A', "I", Conversion.NumericWidening, true, 65);
        yield return Case("I", -3, "D", Conversion.NumericWidening, true, -3.0);
        yield return Case("I", 5, "NI", Conversion.WrapNullable, true, 5);
        yield return Case("LI", new List<int> { 1 }, "RL", Conversion.ReferenceUpcast, true, new List<int> { 1 });
        yield return Case("C", Color.Blue, "L", Conversion.EnumToInteger, true, 3L);
        yield return Case("L", 5L, "I", Conversion.NumericChecked, true, 5);
        yield return Case("L", 3_000_000_000L, "I", Conversion.NumericChecked, false, 0);
        yield return Case("L", -1L, "U", Conversion.NumericChecked, false, 0u);
        yield return Case("I", -1, "U", Conversion.NumericChecked, false, 0u);
        yield return Case("U", 4_000_000_000u, "I", Conversion.NumericChecked, false, 0);
        yield return Case("I", 70_000, "Sh", Conversion.NumericChecked, false, (short)0);
        yield return Case("I", 65, "Ch", Conversion.NumericChecked, true, 'A');
        yield return Case("D", 2.0, "I", Conversion.NumericChecked, true, 2);
        yield return Case("D", 2.5, "I", Conversion.NumericChecked, false, 0);
        yield return Case("D", double.NaN, "I", Conversion.NumericChecked, false, 0);
        yield return Case("D", double.NaN, "F", Conversion.NumericChecked, true, float.NaN);
        yield return Case("D", 0.5, "F", Conversion.NumericChecked, true, 0.5f);
        yield return Case("D", 0.1, "F", Conversion.NumericChecked, false, 0f);
        yield return Case("D", 1e300, "F", Conversion.NumericChecked, false, 0f);
        yield return Case("L", long.MaxValue, "D", Conversion.NumericChecked, false, 0.0);
        yield return Case("L", 1L << 53, "D", Conversion.NumericChecked, true, 9007199254740992.0);
        yield return Case("M", 2m, "I", Conversion.NumericChecked, true, 2);
        yield return Case("M", 1.5m, "I", Conversion.NumericChecked, false, 0);
        yield return Case("D", double.MaxValue, "M", Conversion.NumericChecked, false, 0m);
        yield return Case("NI", 4, "I", Conversion.UnwrapNullable, true, 4);
        yield return Case("NI", null, "I", Conversion.UnwrapNullable, false, 0);
        yield return Case("S", null, "S", Conversion.UnwrapNullable, false, null);
        yield return Case("O", "text", "S", Conversion.ReferenceDowncast, true, "text");
        yield return Case("O", null, "S", Conversion.ReferenceDowncast, true, null);
        yield return Case("O", 5, "S", Conversion.ReferenceDowncast, false, null);
        yield return Case("O", 5, "I", Conversion.ReferenceDowncast, true, 5);
        yield return Case("I", 2, "C", Conversion.IntegerToEnum, true, Color.Green);
        yield return Case("I", 7, "C", Conversion.IntegerToEnum, false, (Color)0);
        yield return Case("I", 3, "P", Conversion.IntegerToEnum, true, Perm.Read | Perm.Write);
        yield return Case("I", 8, "P", Conversion.IntegerToEnum, false, Perm.None);
        yield return Case("L", 1L << 40, "C", Conversion.IntegerToEnum, false, (Color)0);
        yield return Case("C", Color.Green, "H", Conversion.EnumByName, true, Hue.Green);
        yield return Case("C", Color.Blue, "H", Conversion.EnumByName, false, (Hue)0);
        yield return Case("P", Perm.Read | Perm.Exec, "A", Conversion.EnumByName, true, Access.Read | Access.Exec);
        yield return Case("P", Perm.None, "A", Conversion.EnumByName, false, (Access)0);
        yield return Case("I", 9, "ReadOnly", Conversion.Identity, true, 9);
    }

    [TestCaseSource(nameof(Cases))]
    public void Convert_OneInstance_ValueOrProblem(string from, object? value, string to, Conversion conversion, bool ok, object? expected)
    {
        var holder = new Holder();
        Field(from).SetValue(holder, value);
        var pending = PendingField.Create(new FieldStep(new FieldRef(to, Field(to).FieldType.ToString()), FieldSource.OldField, new FieldRef(from, Field(from).FieldType.ToString()), 0, conversion), Field(to).FieldType, Field(from), null);
        var problems = new ProblemCollector("Holder", to, "FieldConversionError");

        pending.Compute([holder], 0, problems);
        pending.Bind(Field(to));
        pending.Write([holder], 0, 1);

        Assert.That(problems.Count, Is.EqualTo(ok ? 0 : 1));
        Assert.That(Field(to).GetValue(holder), Is.EqualTo(expected));
    }

    [Test]
    public void Convert_FailingValue_SampleNamesInstanceAndOldValue()
    {
        var holders = new[] { new Holder { L = 1 }, new Holder { L = 70_000_000_000 } };
        var pending = PendingField.Create(new FieldStep(new FieldRef("I", "System.Int32"), FieldSource.OldField, new FieldRef("L", "System.Int64"), 0, Conversion.NumericChecked), Field("I").FieldType, Field("L"), null);
        var problems = new ProblemCollector("Holder", "I", "FieldConversionError");

        pending.Compute(holders, 0, problems);
        var problem = problems.ToProblem();

        Assert.That((problem.TypeName, problem.FieldName, problem.FailingInstances), Is.EqualTo(("Holder", "I", 1)));
        Assert.That(problem.Samples, Is.EqualTo(new[] { "ConversionTests.Holder#1 L = 70000000000" }));
    }

    [TestCase(Conversion.NumericWidening, "S", "I")]
    [TestCase(Conversion.ReferenceUpcast, "O", "S")]
    [TestCase(Conversion.IntegerToEnum, "D", "C")]
    [TestCase(Conversion.EnumByName, "I", "C")]
    public void Create_ConversionDoesNotFitTypes_ThrowsPlanException(Conversion conversion, string from, string to)
    {
        Assert.Throws<MigrationPlanException>(() =>
            PendingField.Create(new FieldStep(new FieldRef(to, Field(to).FieldType.ToString()), FieldSource.OldField, new FieldRef(from, Field(from).FieldType.ToString()), 0, conversion), Field(to).FieldType, Field(from), null));
    }

    private static FieldInfo Field(string name) => typeof(Holder).GetField(name, BindingFlags.Public | BindingFlags.Instance)!;
}
