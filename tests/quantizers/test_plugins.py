"""A user's own architecture, registered from a module outside the package."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from dgcq_sim.errors import QuantizerError
from dgcq_sim.paths import NETLIST_DIR
from dgcq_sim.quantizers import architectures, load_plugin, load_quantizer, register, unregister
from dgcq_sim.quantizers.archs.flash import Flash

PLUGIN = textwrap.dedent('''
    from pathlib import Path
    from dgcq_sim.quantizers import register
    from dgcq_sim.quantizers.archs.flash import Flash

    @register("myflash", replace=True)
    class MyFlash(Flash):
        """A user's flash: the bundled controller, its own netlist (title names it)."""
        summary = "user flash"
        netlist = Path(__file__).with_name("myflash.cir")

        def ideal_codes(self, v, p, n_codes):
            return super().ideal_codes(v, p, n_codes)
''')


@pytest.fixture
def plugin(tmp_path):
    text = (NETLIST_DIR / "flash.cir").read_text().replace("* flash:", "* myflash:", 1)
    (tmp_path / "myflash.cir").write_text(text)
    (tmp_path / "my_plugin.py").write_text(PLUGIN)
    yield tmp_path
    unregister("myflash")


def test_plugin_file_registers_and_loads_by_name_and_by_title(plugin):
    load_plugin(str(plugin / "my_plugin.py"))
    assert "myflash" in architectures()
    q = load_quantizer("myflash", {"NBITS": 3}, ideal=True)
    assert q.kind == "myflash" and q.n_codes == 8
    np.testing.assert_array_equal(q.convert([0.01, 0.5, 0.99], noise=False).codes, [0, 4, 7])
    assert load_quantizer(plugin / "myflash.cir").kind == "myflash"


def test_cli_plugin_option_and_environment(plugin):
    cmd = [sys.executable, "-m", "dgcq_sim", "--plugin", str(plugin / "my_plugin.py"),
           "enob", "myflash", "--ideal", "--json", "--n-sine", "4096"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    res = json.loads(out)
    assert res["kind"] == "myflash" and abs(res["enob_sine"] - 4) < 0.05
    env = {"DGCQ_SIM_PLUGINS": str(plugin / "my_plugin.py"), "PATH": ""}
    out = subprocess.run([sys.executable, "-m", "dgcq_sim", "architectures", "--json"],
                         capture_output=True, text=True, check=True, env=env).stdout
    assert "myflash" in {r["name"] for r in json.loads(out)}


def test_bad_plugins_and_registrations_are_typed_errors(tmp_path):
    with pytest.raises(QuantizerError, match="not found"):
        load_plugin(str(tmp_path / "nope.py"))
    bad = tmp_path / "bad.py"
    bad.write_text("raise RuntimeError('boom')\n")
    with pytest.raises(QuantizerError, match="boom"):
        load_plugin(str(bad))
    with pytest.raises(QuantizerError, match="already registered"):
        register("flash")(type("Other", (Flash,), {}))
    with pytest.raises(QuantizerError, match="Architecture subclass"):
        register("thing")(object)
