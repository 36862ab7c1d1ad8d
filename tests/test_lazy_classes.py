"""Type modules of a generated SDK define their classes on first use (preview fast path).

A made-up SDK shaped like a generated one (``_inputs``, ``outputs``, ``_enums``, a resource
module star-importing them) is loaded through :class:`SdkFinder`; every class must be the
one Python makes, reachable every way Python reaches it. The real SDK's byte-for-byte
export is in ``test_preview_speed.py``.
"""

from __future__ import annotations

import ast
import sys
import textwrap
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from sdk_fixtures import HEADER, write_source

from proliferate_components.preview import lazy_classes, sdk_loader, sdk_patches


@pytest.fixture
def sdk(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "site"
    pkg = root / "pulumi_lazysdk"
    write_source(pkg / "_utilities.py", "VERSION = '1.0.0'\n")
    write_source(pkg / "__init__.py", HEADER + "from . import _utilities\nfrom . import svc\n")
    write_source(
        pkg / "svc" / "__init__.py", HEADER + "from .res import *\nfrom . import outputs\n"
    )
    write_source(
        pkg / "svc" / "_enums.py",
        """\
        import builtins as _builtins
        from enum import Enum
        __all__ = ['Size']

        class Size(_builtins.str, Enum):
            SMALL = "small"
            LARGE = "large"
        """,
    )
    write_source(
        pkg / "svc" / "_inputs.py",
        """\
        from typing import Optional, TypedDict
        from ._enums import *
        __all__ = ['ThingArgs', 'ThingArgsDict', 'PartArgs', 'Aliased', 'DEFAULT']

        class PartArgs:
            def __init__(self, size: 'Size') -> None:
                self.size = size

        class ThingArgs:
            def __init__(self, part: Optional['PartArgs'] = None) -> None:
                self.part = part

            def default_part(self) -> 'PartArgs':
                return PartArgs(Size.SMALL)  # a sibling and an enum, read when it runs

        class ThingArgsDict(TypedDict):
            part: 'PartArgs'

        class Aliased:
            pass

        DEFAULT = Aliased  # the header reads it: defined at import
        """,
    )
    write_source(
        pkg / "svc" / "outputs.py",
        """\
        from typing import Optional
        from . import outputs
        __all__ = ['Thing', 'Part']

        class Part:
            @property
            def size(self) -> str:
                return "small"

        class Thing:
            @property
            def part(self) -> Optional['outputs.Part']:
                return None
        """,
    )
    write_source(
        pkg / "svc" / "res.py",
        """\
        from typing import Optional
        from . import outputs
        from ._inputs import *
        __all__ = ['Res']

        class Res:
            def __init__(self, args: Optional['ThingArgs'] = None) -> None:
                self.args = args

            @property
            def thing(self) -> 'outputs.Thing':
                return outputs.Thing()

            def hint(self) -> 'ThingArgs':
                raise NotImplementedError
        """,
    )
    write_source(
        pkg / "svc" / "eager.py",
        """\
        from ._inputs import *
        __all__ = ['made']

        def made():
            return PartArgs('x')  # read when it runs: this star import must stay
        """,
    )
    sys.path.insert(0, str(root))
    finder = sdk_loader.SdkFinder(tmp_path / "cache")
    sys.meta_path.insert(0, finder)  # pyright: ignore[reportArgumentType]
    try:
        yield pkg
    finally:
        sys.meta_path.remove(finder)  # pyright: ignore[reportArgumentType]
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.startswith("pulumi_lazysdk")]:
            del sys.modules[name]


def test_a_resource_module_does_not_load_the_type_modules_it_does_not_use(sdk: Path) -> None:
    from pulumi_lazysdk.svc import Res  # pyright: ignore[reportMissingImports]

    assert "pulumi_lazysdk.svc._inputs" not in sys.modules
    assert "pulumi_lazysdk.svc._enums" not in sys.modules
    outputs = sys.modules["pulumi_lazysdk.svc.outputs"]
    assert "Thing" not in outputs.__dict__ and "Part" not in outputs.__dict__
    assert type(Res().thing).__qualname__ == "Thing"  # defined by the method's attribute access
    assert "Part" not in outputs.__dict__


def test_get_type_hints_resolves_lazy_and_star_imported_names(sdk: Path) -> None:
    assert sdk_patches.apply()
    import pulumi._types as pulumi_types
    from pulumi_lazysdk.svc import Res  # pyright: ignore[reportMissingImports]

    hints = pulumi_types.get_type_hints(Res.hint, globalns=dict(vars(sys.modules[Res.__module__])))
    inputs = sys.modules["pulumi_lazysdk.svc._inputs"]
    assert hints["return"] is inputs.ThingArgs
    init = pulumi_types.get_type_hints(Res.__init__)
    assert init["args"] == inputs.ThingArgs | None
    outputs = sys.modules["pulumi_lazysdk.svc.outputs"]
    assert typing.get_type_hints(outputs.Thing.part.fget)["return"] == outputs.Part | None


def test_classes_are_those_python_makes_and_reachable_every_way(sdk: Path) -> None:
    import pulumi_lazysdk.svc._inputs as inputs  # pyright: ignore[reportMissingImports]

    assert "ThingArgs" not in inputs.__dict__
    assert "Aliased" in inputs.__dict__ and inputs.DEFAULT is inputs.Aliased  # header read it
    thing = inputs.ThingArgs()
    # its method reads PartArgs and Size: both were defined before it
    assert "PartArgs" in inputs.__dict__ and "Size" in inputs.__dict__
    assert thing.default_part().size.value == "small"
    assert inputs.ThingArgs.__qualname__ == "ThingArgs"
    assert inputs.ThingArgs.__module__ == "pulumi_lazysdk.svc._inputs"
    assert inputs.ThingArgs.default_part.__qualname__ == "ThingArgs.default_part"
    assert inputs.ThingArgs.default_part.__code__.co_firstlineno == 13  # its line in the file
    assert inputs.ThingArgsDict.__annotations__ == {"part": "'PartArgs'"}
    assert {"ThingArgs", "ThingArgsDict", "PartArgs", "Size"} <= set(dir(inputs))
    namespace: dict[str, object] = {}
    exec("from pulumi_lazysdk.svc._inputs import *", namespace)
    assert namespace["ThingArgsDict"] is inputs.ThingArgsDict
    with pytest.raises(AttributeError, match="no attribute 'Missing'"):
        _ = inputs.Missing
    with pytest.raises(ImportError):
        exec("from pulumi_lazysdk.svc._inputs import Missing", {})


def test_a_star_import_whose_names_the_code_reads_stays(sdk: Path) -> None:
    from pulumi_lazysdk.svc.eager import made  # pyright: ignore[reportMissingImports]

    assert "pulumi_lazysdk.svc._inputs" in sys.modules
    assert made().size == "x"


def test_split_keeps_in_the_header_what_the_header_reads() -> None:
    tree = ast.parse(
        textwrap.dedent(
            """
            class A: pass
            class B:
                def f(self): return A
            class C: pass
            ALIAS = B
            class D: pass
            class D: pass
            """
        )
    )
    parts = lazy_classes.split(tree)
    assert parts is not None
    assert sorted(parts.classes) == ["C"]  # B (read by the header), A (read by B), D (twice)
    header = [n.name for n in parts.header.body if isinstance(n, ast.ClassDef)]
    assert header == ["A", "B", "D", "D"]


def test_runtime_names_leave_annotations_out() -> None:
    tree = ast.parse("def f(x: Hidden) -> AlsoHidden:\n    y: Hidden2 = Seen\n    return Used\n")
    assert lazy_classes.runtime_names(tree.body) == {"Seen", "Used"}


def test_without_the_type_hint_hook_every_class_is_defined_at_import(
    sdk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sdk_patches, "apply", lambda: False)
    import pulumi_lazysdk.svc.res as res  # pyright: ignore[reportMissingImports]

    inputs = sys.modules["pulumi_lazysdk.svc._inputs"]
    assert {"ThingArgs", "ThingArgsDict", "PartArgs", "Size"} <= set(inputs.__dict__)
    assert res.__dict__["ThingArgs"] is inputs.ThingArgs  # the star import, bound eagerly
    assert typing.get_type_hints(res.Res.hint)["return"] is inputs.ThingArgs


def test_the_loader_gives_runpy_the_whole_module(sdk: Path) -> None:
    import importlib.util

    spec = importlib.util.find_spec("pulumi_lazysdk.svc._inputs")
    assert spec is not None and spec.loader is not None
    namespace: dict[str, object] = {"__name__": "copy", "__package__": "pulumi_lazysdk.svc"}
    exec(spec.loader.get_code("pulumi_lazysdk.svc._inputs"), namespace)  # type: ignore[attr-defined]
    assert {"ThingArgs", "PartArgs", "Aliased"} <= set(namespace)
