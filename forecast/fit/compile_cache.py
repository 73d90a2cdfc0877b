"""A disk cache of compiled nutpie models, reused across processes.

``nutpie.compile_pymc_model`` wraps PyTensor's numba function in a numba ``cfunc`` built from a
closure whose cells hold random (uuid) keys, the data arrays and their shapes. Numba keys its
cache on those cells, so every run writes a new cache entry and none is ever reused: a warm
process still spends ~15 s compiling the wrapper, plus 4-5 s of PyTensor graph rewrites.

Here the wrapper is generated as source text into a module file of its own, in one cache entry
per model graph (``<cache>/<key>/model.py``). The module has no closure and names its inputs by
fixed keys, so numba's ``cache=True`` reuses it; the data are read through the same pointer
record nutpie uses, so ``CompiledPyMCModel.with_data`` keeps working, and a new data vintage
(the data end is a ``pm.Data`` too) is a full cache hit. On a hit nothing is rewritten or
compiled: the model is built (for the initial point and the data variables), its graph hashed,
and the machine code loaded.

The key hashes the entry format, the model version, the structure of the model's log density
and expansion graphs (every op, every constant's bytes, every data variable's name and type; not
the data values) and the library versions. Prior parameters are ``pm.Data`` too
(``forecast.model.graph.random_variable``), so prior sets with the same family for every
parameter and the same settings share one entry; settings are constants of the graph.

A miss compiles in a child process (``python -m forecast.fit.compile_cache``, the model passed
by cloudpickle) and the parent then loads the entry like any later process: code run in a
process whose PyTensor functions were compiled fresh can differ from the stored code in the last
bit, which would give a cold-cache fit other draws than the warm-cache fits after it.

Each entry stores reference points with the log density and gradient a fresh compile gave on
the entry's own data; a load re-evaluates them with the loaded code and discards the entry
(recompiling) unless they agree to 1e-9. The cache keeps the ``FORECAST_CACHE_MAX_ENTRIES``
(default 8) most recently used entries and deletes older ones.

Relies on nutpie 0.16's private ``_make_functions`` and record layout and on numba's
``CFunc``/cache internals; ``tests/fit/test_compile_cache.py`` checks the result against a fresh
PyMC compile.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from forecast.core.definitions import MODEL_VERSION
from forecast.fit.compile_source import (
    FORMAT,
    _cfunc,
    _install_locator,
    _signatures,
    module_source,
)

CACHE_ENV = "FORECAST_CACHE_DIR"
MAX_ENTRIES_ENV = "FORECAST_CACHE_MAX_ENTRIES"
DISABLE_ENV = "FORECAST_COMPILE_CACHE"  # "0" or "off": compile with nutpie directly
DEFAULT_MAX_ENTRIES = 8
TOLERANCE = 1e-9
STALE_TMP_SECONDS = 6 * 3600
KEY_LIBRARIES = ("pymc", "pytensor", "nutpie", "numba", "llvmlite", "numpy")
MODULE_FILE = "model.py"
META_FILE = "meta.json"
CHECK_FILE = "check.npz"


def cache_dir() -> Path:
    """``$FORECAST_CACHE_DIR``, else ``<user cache>/ai-timelines-forecast/models``."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ai-timelines-forecast" / "models"


def enabled() -> bool:
    return os.environ.get(DISABLE_ENV, "1").strip().lower() not in {"0", "off", "false", "no"}


def max_entries() -> int:
    try:
        return max(1, int(os.environ.get(MAX_ENTRIES_ENV, DEFAULT_MAX_ENTRIES)))
    except ValueError:
        return DEFAULT_MAX_ENTRIES


def library_versions(names: Iterable[str] = KEY_LIBRARIES) -> dict[str, str]:
    """Installed version of each named package ("not installed" when absent)."""
    out = {}
    for lib in names:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = "not installed"
    return out


# ------------------------------------------------------------------------------------------------
# The key: a structural hash of the model's graphs
# ------------------------------------------------------------------------------------------------


def _graph_outputs(model: Any) -> list[Any]:
    """The log density and every unobserved value (what nutpie's two functions compute)."""
    return [model.logp(), *model.unobserved_value_vars]


def graph_signature(outputs: Iterable[Any]) -> tuple[str, dict[str, Any]]:
    """SHA-256 of the graphs' structure, and their shared (data) variables by name.

    Ops with their properties, each input's origin, every constant's dtype, shape and bytes;
    shared variables by name and type only (their values are data, swapped at run time).
    """
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.basic import Constant
    from pytensor.graph.traversal import io_toposort

    outputs = list(outputs)
    digest = hashlib.sha256()
    ids: dict[Any, str] = {}
    shared: dict[str, Any] = {}

    def ref(var: Any) -> str:
        if var in ids:
            return ids[var]
        if isinstance(var, Constant):
            data = np.asarray(var.data)
            body = hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest()[:24]
            ident = f"c[{var.type}|{data.dtype.str}|{data.shape}|{body}]"
        elif isinstance(var, SharedVariable):
            if var.name in shared and shared[var.name] is not var:
                raise ValueError(f"two shared variables are named {var.name!r}")
            shared[var.name] = var
            ident = f"s[{var.name}|{var.type}]"
        else:
            ident = f"i[{var.name}|{var.type}]"
        ids[var] = ident
        return ident

    for n, node in enumerate(io_toposort([], outputs)):
        op = node.op
        props = op._props_dict() if hasattr(op, "_props_dict") and op.__props__ else {}
        line = (
            f"{type(op).__module__}.{type(op).__qualname__}|{op}|{sorted(props.items())!r}|"
            + ",".join(ref(v) for v in node.inputs)
            + "|"
            + ",".join(str(o.type) for o in node.outputs)
        )
        digest.update(line.encode())
        digest.update(b"\n")
        for i, out in enumerate(node.outputs):
            ids[out] = f"n{n}.{i}"
    digest.update(("out:" + ",".join(ref(o) for o in outputs)).encode())
    return digest.hexdigest(), shared


def cache_key(model: Any, var_names: list[str]) -> tuple[str, dict[str, Any]]:
    """The entry key of a model, and its shared (data) variables by name."""
    graph, shared = graph_signature(_graph_outputs(model))
    parts = {
        "format": FORMAT,
        "model_version": MODEL_VERSION,
        "graph": graph,
        "var_names": list(var_names),
        "free": [model.rvs_to_values[v].name for v in model.free_RVs],
        "check_bounds": bool(model.check_bounds),
        "libraries": library_versions(),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
    }
    key = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]
    return key, shared


# ------------------------------------------------------------------------------------------------
# The generated module and numba's cache locator for it
# ------------------------------------------------------------------------------------------------


def _import_module(path: Path, key: str) -> Any:
    name = f"forecast_compiled_{key}"
    module = sys.modules.get(name)
    if module is not None and Path(module.__file__ or "") == path:  # a key's source is fixed
        return module
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # importable by name: numba's cached environments are rebuilt by importing the module
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


# ------------------------------------------------------------------------------------------------
# Evaluating the callbacks from Python (checks and tests)
# ------------------------------------------------------------------------------------------------


def call_logp(cfunc: Any, user_data: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Log density and gradient at ``x`` from a compiled callback (raises on an error code)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.zeros_like(x)
    lp = np.zeros((), dtype=np.float64)
    ptr = ctypes.POINTER(ctypes.c_double)
    code = cfunc.ctypes(
        x.size,
        x.ctypes.data_as(ptr),
        out.ctypes.data_as(ptr),
        lp.ctypes.data_as(ptr),
        ctypes.c_void_p(user_data.ctypes.data),
    )
    if code not in (0, 3, 4):
        raise RuntimeError(f"compiled log density returned error code {code}")
    return float(lp), out


def model_logp(compiled: Any, x: np.ndarray) -> tuple[float, np.ndarray]:
    """Log density and gradient of a compiled nutpie model at an unconstrained point."""
    return call_logp(compiled.compiled_logp_func, compiled.user_data, x)


# ------------------------------------------------------------------------------------------------
# Loading and saving entries
# ------------------------------------------------------------------------------------------------


@dataclass
class CacheInfo:
    """How a compiled model was obtained (for logs and run metadata)."""

    key: str
    hit: bool
    seconds: float
    path: str
    reason: str = ""


def _initial_point(model: Any, names: list[str], shapes: list[Any]) -> Callable[..., np.ndarray]:
    """nutpie's default initial points: support points jittered U(-1, 1) from the seed."""
    from nutpie.compile_pymc import _rv_dict_to_flat_array_wrapper, _wrap_with_lock
    from pymc.initial_point import make_initial_point_fn

    fn = make_initial_point_fn(
        model=model,
        overrides=None,
        default_strategy="support_point",
        jitter_rvs=set(model.free_RVs),
        return_transformed=True,
    )
    return _rv_dict_to_flat_array_wrapper(_wrap_with_lock(fn), names=names, shapes=shapes)


def _assemble(
    model: Any,
    meta: dict[str, Any],
    shared_vars: dict[str, Any],
    logp_cf: Any,
    expand_cf: Any,
    initial_point_fn: Callable[..., np.ndarray] | None = None,
    logp_func: Any = None,
    expand_func: Any = None,
) -> Any:
    """A nutpie ``CompiledPyMCModel`` around the loaded callbacks, with the model's data."""
    from nutpie.compile_pymc import CompiledPyMCModel, _prepare_dims_and_coords, make_user_data

    names = meta["names"]
    slices = [slice(a, b) for a, b in meta["slices"]]
    shapes = [tuple(s) for s in meta["shapes"]]
    shape_info = (names, slices, shapes)
    n_dim = meta["n_dim"]
    shared_var_keys = {}
    shared_data = {}
    for s in meta["shared"]:
        var = shared_vars[s["name"]]
        value = np.array(var.get_value(), order="C", copy=True)
        if value.ndim != s["ndim"] or value.dtype != np.dtype(s["dtype"]):
            raise ValueError(f"data {s['name']}: {value.dtype}[{value.ndim}] does not match entry")
        value.flags.writeable = False
        shared_var_keys[var] = s["key"]
        shared_data[s["key"]] = value
    user_data = make_user_data(shared_var_keys, shared_data)
    if initial_point_fn is None:
        n_free = len(meta["free_names"])
        initial_point_fn = _initial_point(model, names[:n_free], shapes[:n_free])
    reparameterized = meta["reparameterized_names"]
    dims, coords = _prepare_dims_and_coords(model, shape_info, reparameterized)
    return CompiledPyMCModel(
        _n_dim=n_dim,
        dims=dims,
        _coords=coords,
        _shapes={name: tuple(shape) for name, shape in zip(names, shapes, strict=True)},
        compiled_logp_func=logp_cf,
        compiled_expand_func=expand_cf,
        initial_point_func=initial_point_fn,
        shared_data=shared_data,
        shared_var_keys=shared_var_keys,
        user_data=user_data,
        n_expanded=meta["n_expanded"],
        shape_info=shape_info,
        logp_func=logp_func,
        expand_func=expand_func,
        reparameterized_names=reparameterized,
    )


def _verify(compiled: Any, entry: Path) -> None:
    """Re-evaluate the entry's reference points on its own data; raise unless equal to 1e-9."""
    check = np.load(entry / CHECK_FILE)
    names = [s["name"] for s in json.loads((entry / META_FILE).read_text())["shared"]]
    probe = compiled.with_data(**{n: check[f"data__{n}"] for n in names})
    for i, x in enumerate(check["points"]):
        lp, grad = model_logp(probe, x)
        ok = np.isclose(lp, check["logp"][i], rtol=TOLERANCE, atol=TOLERANCE) and np.allclose(
            grad, check["grad"][i], rtol=TOLERANCE, atol=TOLERANCE
        )
        if not ok:
            raise ValueError(f"cached model differs from its compile at reference point {i}")


def _load(model: Any, entry: Path, key: str, shared_vars: dict[str, Any]) -> Any | None:
    """The compiled model of a complete entry, or None when the machine code is not cached."""
    if not (entry / META_FILE).exists() or not (entry / CHECK_FILE).exists():
        return None
    meta = json.loads((entry / META_FILE).read_text())
    if meta.get("key") != key or meta.get("format") != FORMAT:
        return None
    _install_locator()
    module = _import_module(entry / MODULE_FILE, key)
    logp_sig, expand_sig = _signatures()
    logp_cf, expand_cf = _cfunc(module.logp, logp_sig), _cfunc(module.expand, expand_sig)
    if not (logp_cf.try_load() and expand_cf.try_load()):
        return None
    compiled = _assemble(model, meta, shared_vars, logp_cf, expand_cf)
    _verify(compiled, entry)
    os.utime(entry / META_FILE)  # most recently used
    return compiled


def _compile(
    model: Any, entry: Path, key: str, var_names: list[str], shared_vars: dict[str, Any]
) -> Any:
    """Compile with PyTensor and numba into ``entry`` and return the compiled model.

    The entry is written in a temporary folder beside it and renamed into place when complete,
    so a process never loads a half-written entry; when two processes compile one key at once,
    the first rename wins and the other's folder is dropped (both entries are equivalent).
    """
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=entry.parent))
    try:
        compiled = _compile_into(model, tmp, key, var_names, shared_vars)
        if entry.exists():
            shutil.rmtree(entry, ignore_errors=True)  # an incomplete, stale or broken entry
        try:
            os.rename(tmp, entry)
        except OSError:  # another process put the entry in place first
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        # a later load in this process imports the module from the entry, not the temp folder
        sys.modules.pop(f"forecast_compiled_{key}", None)
    return compiled


def _compile_into(
    model: Any, entry: Path, key: str, var_names: list[str], shared_vars: dict[str, Any]
) -> Any:
    """Compile with PyTensor and numba into the (new, empty) folder ``entry``."""
    from nutpie.compile_pymc import _make_functions, make_user_data

    names_free = [model.rvs_to_values[v].name for v in model.free_RVs]
    from nutpie.compile_pymc import _wrap_with_lock
    from pymc.initial_point import make_initial_point_fn

    pymc_ip = make_initial_point_fn(
        model=model,
        overrides=None,
        default_strategy="support_point",
        jitter_rvs=set(model.free_RVs),
        return_transformed=True,
    )
    (
        n_dim,
        n_expanded,
        logp_fn_pt,
        expand_fn_pt,
        initial_point,
        shape_info,
        reparameterized_names,
    ) = _make_functions(
        model,
        mode="NUMBA",
        compute_grad=True,
        join_expanded=True,
        pymc_initial_point_fn=_wrap_with_lock(pymc_ip),
        var_names=var_names,
    )
    order: list[Any] = []
    for var in [*logp_fn_pt.get_shared(), *expand_fn_pt.get_shared()]:
        if var not in order:
            order.append(var)
    keys = {var: f"d{i}" for i, var in enumerate(order)}
    for var in order:
        if shared_vars.get(var.name) is not var:
            raise ValueError(f"compiled function reads {var.name!r}, not a data variable")
    shared_data = {keys[v]: np.array(v.get_value(), order="C", copy=True) for v in order}
    record = make_user_data(keys, shared_data).dtype
    shared = [
        {"key": keys[v], "name": v.name, "ndim": int(v.ndim), "dtype": np.dtype(v.dtype).str}
        for v in order
    ]
    logp_keys = [keys[v] for v in logp_fn_pt.get_shared()]
    expand_keys = [keys[v] for v in expand_fn_pt.get_shared()]
    source = module_source(key, n_dim, n_expanded, record.descr, shared, logp_keys, expand_keys)
    if np.dtype(eval(repr(record.descr), {"__builtins__": {}})) != record:  # noqa: S307
        raise ValueError("record dtype does not round-trip through its description")

    _write_atomic(entry / MODULE_FILE, source.encode())
    _install_locator()
    module = _import_module(entry / MODULE_FILE, key)
    module.LOGP_INNER = logp_fn_pt.vm.jit_fn
    module.EXPAND_INNER = expand_fn_pt.vm.jit_fn
    logp_sig, expand_sig = _signatures()
    logp_cf, expand_cf = _cfunc(module.logp, logp_sig), _cfunc(module.expand, expand_sig)
    logp_cf.compile()
    expand_cf.compile()
    for cf in (logp_cf, expand_cf):
        if cf._library.has_dynamic_globals:
            raise ValueError("the compiled wrapper uses dynamic globals and cannot be cached")

    names, slices, shapes = shape_info
    meta = {
        "format": FORMAT,
        "key": key,
        "model_version": MODEL_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "libraries": library_versions(),
        "n_dim": int(n_dim),
        "n_expanded": int(n_expanded),
        "names": list(names),
        "slices": [[s.start, s.stop] for s in slices],
        # nutpie's shapes are arrays of dims; lists of ints here
        "shapes": [[int(d) for d in np.asarray(s, dtype=np.int64).reshape(-1)] for s in shapes],
        "free_names": names_free,
        "reparameterized_names": list(reparameterized_names),
        "shared": shared,
    }
    compiled = _assemble(
        model,
        meta,
        shared_vars,
        logp_cf,
        expand_cf,
        initial_point_fn=initial_point,
        logp_func=logp_fn_pt,
        expand_func=expand_fn_pt,
    )
    # reference points: the fresh PyTensor function against the new callback, then stored
    rng = np.random.default_rng(0)
    x0 = initial_point(0)
    points = np.stack([x0, x0 + rng.normal(0.0, 0.3, x0.shape)])
    logps, grads = [], []
    for x in points:
        lp_ref, grad_ref = logp_fn_pt(x)
        lp, grad = model_logp(compiled, x)
        if not (
            np.isclose(lp, lp_ref, rtol=TOLERANCE, atol=TOLERANCE)
            and np.allclose(grad, grad_ref, rtol=TOLERANCE, atol=TOLERANCE)
        ):
            raise ValueError("generated wrapper disagrees with the PyTensor function")
        logps.append(lp)
        grads.append(grad)
    buf = _npz_bytes(
        points=points,
        logp=np.array(logps),
        grad=np.stack(grads),
        **{f"data__{s['name']}": shared_data[s["key"]] for s in shared},
    )
    _write_atomic(entry / CHECK_FILE, buf)
    _write_atomic(entry / META_FILE, json.dumps(meta, indent=1).encode())  # complete
    return compiled


def _npz_bytes(**arrays: np.ndarray) -> bytes:
    import io

    out = io.BytesIO()
    np.savez(out, **arrays)
    return out.getvalue()


def prune(
    root: Path | None = None, keep: int | None = None, protect: str | None = None
) -> list[str]:
    """Delete all but the ``keep`` most recently used entries; returns the deleted keys."""
    root = root or cache_dir()
    keep = keep or max_entries()
    if not root.exists():
        return []

    def used(entry: Path) -> float:
        meta = entry / META_FILE
        return meta.stat().st_mtime if meta.exists() else entry.stat().st_mtime

    for tmp in root.glob(".*"):  # temporary folders of compiles that died
        if tmp.is_dir() and time.time() - tmp.stat().st_mtime > STALE_TMP_SECONDS:
            shutil.rmtree(tmp, ignore_errors=True)
    entries = sorted(
        (
            p
            for p in root.iterdir()
            if p.is_dir() and not p.name.startswith(".") and (p / MODULE_FILE).exists()
        ),
        key=used,
        reverse=True,
    )
    deleted = []
    for entry in entries[keep:]:
        if entry.name == protect:
            continue
        shutil.rmtree(entry, ignore_errors=True)
        deleted.append(entry.name)
    return deleted


def compile_model(
    model: Any,
    var_names: list[str],
    say: Callable[[str], None] | None = None,
    root: Path | None = None,
) -> tuple[Any, CacheInfo]:
    """A compiled nutpie model for ``model``: loaded from the disk cache, or compiled into it.

    Falls back to ``nutpie.compile_pymc_model`` (no cache) when the cache is off
    (``FORECAST_COMPILE_CACHE=0``) or its folder cannot be used.
    """
    say = say or (lambda _msg: None)
    t0 = time.perf_counter()
    var_names = list(var_names)
    if not enabled():
        return _uncached(model, var_names, t0, "cache off")
    root = root or cache_dir()
    key, shared_vars = cache_key(model, var_names)
    entry = root / key
    try:
        compiled = _load(model, entry, key, shared_vars)
    except Exception as exc:
        say(f"compile cache: entry {key[:12]} unusable ({exc}); recompiling")
        compiled = None
    if compiled is not None:
        return compiled, CacheInfo(key, True, time.perf_counter() - t0, str(entry))
    say(f"compiling the model (cache miss {key[:12]}; tens of seconds)")
    try:
        root.mkdir(parents=True, exist_ok=True)
        compiled = _compile_elsewhere(model, root, key, var_names, shared_vars, say)
        if compiled is None:
            compiled = _compile(model, entry, key, var_names, shared_vars)
    except Exception as exc:  # a cache that cannot be used must not stop a fit
        say(f"compile cache unusable ({type(exc).__name__}: {exc}); compiling without it")
        return _uncached(model, var_names, t0, str(exc))
    prune(root, protect=key)
    return compiled, CacheInfo(key, False, time.perf_counter() - t0, str(entry))


SUBPROCESS_ENV = "FORECAST_COMPILE_SUBPROCESS"  # "0": compile in this process


def _compile_elsewhere(
    model: Any,
    root: Path,
    key: str,
    var_names: list[str],
    shared_vars: dict[str, Any],
    say: Callable[[str], None],
) -> Any | None:
    """Compile in a child process, then load the entry here; None if that did not work.

    Why: code run in the process that compiled it, when PyTensor compiled its functions fresh
    there, can differ in the last bit from the stored code every later process loads (numba
    links the process's fresh copies), and so give other draws. Loading in a process that
    compiled nothing gives the same draws as any later process, whatever the caches held.
    """
    if os.environ.get(SUBPROCESS_ENV, "1").strip().lower() in {"0", "off", "false", "no"}:
        return None
    import subprocess

    import cloudpickle

    fd, job = tempfile.mkstemp(dir=root, prefix=f".{key}.", suffix=".pkl")
    try:
        with os.fdopen(fd, "wb") as fh:
            cloudpickle.dump({"model": model, "key": key, "var_names": var_names}, fh)
        child = subprocess.run(
            [sys.executable, "-m", "forecast.fit.compile_cache", job, str(root)],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        Path(job).unlink(missing_ok=True)
    if child.returncode != 0:
        last = (child.stderr.strip().splitlines() or ["no output"])[-1]
        say(f"compile in a child process failed ({last[:200]}); compiling here")
        return None
    loaded = _load(model, root / key, key, shared_vars)
    if loaded is None:
        say("the child's compiled model did not load; compiling here")
    return loaded


def _child_main(job: str, root: str) -> int:
    """``python -m forecast.fit.compile_cache JOB ROOT``: compile a pickled model into ROOT."""
    import cloudpickle

    with open(job, "rb") as fh:
        spec = cloudpickle.load(fh)
    model, key, var_names = spec["model"], spec["key"], spec["var_names"]
    _, shared_vars = cache_key(model, var_names)
    entry = Path(root) / key
    if _load(model, entry, key, shared_vars) is None:  # another process may have been faster
        _compile(model, entry, key, var_names, shared_vars)
    return 0


def _uncached(model: Any, var_names: list[str], t0: float, reason: str) -> tuple[Any, CacheInfo]:
    import nutpie

    compiled = nutpie.compile_pymc_model(model, var_names=var_names)
    return compiled, CacheInfo("", False, time.perf_counter() - t0, "", reason)


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1], sys.argv[2]))
