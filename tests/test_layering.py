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
TASK_FOLDERS = {"autoencoder", "transfer", "tasks", "classifier", "weights", "latent", "comparison", "cli"}
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


def imported_folders(source_folder: str) -> dict[str, set[str]]:
    return {m: {folder(d) for d in deps if d.startswith("archsearch.")}
            for m, deps in IMPORTS.items() if folder(m) == source_folder}


# Lazy imports of Keras or TensorFlow outside the training folders, each for one reason (these tests once
# passed without looking: an earlier test emptied IMPORTS of every library, which a parallel run revealed):
ALLOWED_KERAS_IMPORTS = {
    "archsearch.core.data",  # keras.datasets downloads Fashion-MNIST where no local copy exists
    "archsearch.run.quiet",  # imports TensorFlow, only to silence its start-up notices, in processes that train
}


def test_the_core_imports_nothing_else_of_archsearch_and_no_machine_learning_library():
    for module, deps in IMPORTS.items():
        if folder(module) == "core":
            assert {folder(d) for d in deps if d.startswith("archsearch.")} <= {"core"}, module
            libraries = {d.split(".")[0] for d in deps} - ({"keras"} if module in ALLOWED_KERAS_IMPORTS else set())
            assert not libraries & {"keras", "tensorflow", "deap", "optuna"}, module


def test_the_engine_and_strategies_import_no_task_folder():
    """(The strategies read every space through its specs, `core.space`: none knows a task's space.)"""
    for source in ("run", "strategies", "analysis", "training"):
        for module, folders in imported_folders(source).items():
            assert not folders & TASK_FOLDERS, f"{module} imports {folders & TASK_FOLDERS}"


def test_only_the_training_folders_import_keras_and_only_strategies_import_deap_and_optuna():
    for module, deps in IMPORTS.items():
        libraries = {d.split(".")[0] for d in deps}
        if libraries & {"keras", "tensorflow"}:
            assert folder(module) in KERAS_FOLDERS or module in ALLOWED_KERAS_IMPORTS, module
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
