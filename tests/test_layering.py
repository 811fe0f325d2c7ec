"""The shape of the package (`../shared/design.md`): a few modules at the root, one folder per
capability, no import cycles, and dependencies in one direction: the core imports nothing else of
archsearch, the engine (`run/`) no task folder, only the training folders import Keras and only the
strategies (and the Optuna lineage) import DEAP or Optuna. Read from the source, so a lazy import
inside a function counts too; imports only for type checkers do not."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "archsearch"
TASK_FOLDERS = {"autoencoder", "transfer", "tasks", "classifier", "simulated", "weights", "latent", "comparison",
                "cli"}
KERAS_FOLDERS = {"autoencoder", "transfer", "tasks", "classifier", "weights", "training", "latent"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(path: Path) -> set[str]:
    """The modules a file imports, leaving out `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text())
    skipped = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
               and getattr(block.test, "id", getattr(block.test, "attr", None)) == "TYPE_CHECKING"
               for node in ast.walk(block)}
    names = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
IMPORTS = {name: {i for i in runtime_imports(path) if i in MODULES or not i.startswith("archsearch")}
           for name, path in MODULES.items()}


def folder(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()) else "<root>"


def test_the_package_root_holds_only_the_public_api_and_the_entry_point():
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == ["__init__.py", "__main__.py"]


def test_no_module_imports_itself_through_others():
    def cycle_from(start: str, imports: dict[str, set[str]]) -> list[str] | None:
        stack, seen = [(start, [start])], set()
        while stack:
            module, path = stack.pop()
            for dep in imports[module]:
                if dep == start and len(path) > 1:
                    return path + [dep]
                if dep in MODULES and dep not in seen and dep != module:
                    seen.add(dep)
                    stack.append((dep, path + [dep]))
        return None

    internal = {m: {d for d in deps if d in MODULES and d != "archsearch"} for m, deps in IMPORTS.items()}
    cycles = [cycle for m in sorted(MODULES) if (cycle := cycle_from(m, internal))]
    assert not cycles, " -> ".join(cycles[0])


def closure(module: str) -> set[str]:
    """Every module of archsearch `module` imports, directly or through others (the package's own
    `__init__` is the lazy public API, which imports nothing when loaded)."""
    seen, stack = set(), [module]
    while stack:
        for dep in IMPORTS[stack.pop()]:
            if dep in MODULES and dep != "archsearch" and dep not in seen:
                seen.add(dep)
                stack.append(dep)
    return seen


def libraries_of(module: str) -> set[str]:
    """The outside libraries `module` imports, directly or through the archsearch modules it imports."""
    return {d.split(".")[0] for m in closure(module) | {module} for d in IMPORTS[m] if not d.startswith("archsearch")}


ML_LIBRARIES = {"keras", "tensorflow", "jax", "torch", "deap", "optuna"}


def test_the_core_imports_nothing_else_of_archsearch_and_no_machine_learning_library():
    """(No exceptions: the core reads Fashion-MNIST and downloads it without Keras, and imports modules
    quietly by name.)"""
    for module in MODULES:
        if folder(module) == "core":
            assert {folder(d) for d in closure(module)} <= {"core"}, module
            assert not libraries_of(module) & ML_LIBRARIES, module


def test_the_engine_and_the_strategies_import_no_task_and_no_report_even_through_others():
    """The engine (`run/`) runs any task it is handed and writes the reports it is handed; the strategies
    read any space through its specs."""
    reports = {"analysis", "comparison", "cli", "latent"}
    for module in MODULES:
        if folder(module) in ("run", "strategies"):
            reached = {folder(d) for d in closure(module)}
            assert not reached & (TASK_FOLDERS | reports | {"training"}), f"{module} reaches {reached}"
            assert not libraries_of(module) & {"keras", "tensorflow", "jax", "torch"}, module


def test_analysis_and_training_import_no_task_folder_even_through_others():
    for module in MODULES:
        if folder(module) in ("analysis", "training"):
            reached = {folder(d) for d in closure(module)}
            assert not reached & TASK_FOLDERS, f"{module} reaches {reached & TASK_FOLDERS}"


def test_only_the_training_folders_import_keras_and_only_strategies_import_deap_and_optuna():
    for module, deps in IMPORTS.items():
        libraries = {d.split(".")[0] for d in deps}
        if libraries & {"keras", "tensorflow"}:
            assert folder(module) in KERAS_FOLDERS, module
        if libraries & {"deap", "optuna"}:
            assert folder(module) == "strategies" or module.startswith(("archsearch.weights.strategies",
                                                                         "archsearch.analysis.lineage")), module


def modules_loaded_by(module: str) -> set[str]:
    """Every module name (and each top-level package) loaded by importing `module` alone."""
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    names = set(done.stdout.split())
    return names | {name.split(".")[0] for name in names}


@pytest.mark.parametrize("module", ["archsearch", "archsearch.run.runner", "archsearch.strategies",
                                    "archsearch.weights.strategies", "archsearch.autoencoder.space_file",
                                    "archsearch.cli.main"])
def test_the_engine_strategies_and_command_line_start_without_keras(module):
    """(The CLI imports TensorFlow only after silencing it, so bad arguments fail in one clean line; Dask
    workers import the package without TensorFlow.)"""
    assert not modules_loaded_by(module) & {"keras", "tensorflow", "torch", "jax"}
