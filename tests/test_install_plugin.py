"""`make install-plugin` never leaves an older real plugin folder to run instead of this
checkout: it is moved out of the plugin folder, and the move is said."""

import os

import install_plugin


def test_a_fresh_profile_gets_the_link(tmp_path):
    plugins = tmp_path / "profile" / "python" / "plugins"
    said = install_plugin.install(str(tmp_path / "src"), str(plugins))
    assert os.readlink(plugins / "insar_decomposition") == str(tmp_path / "src") and "->" in said
    assert install_plugin.install(str(tmp_path / "src"), str(plugins)).endswith(f"already links to {tmp_path / 'src'}")


def test_an_older_real_folder_is_moved_out_of_the_plugin_folder_and_said(tmp_path):
    plugins = tmp_path / "profile" / "python" / "plugins"
    old = plugins / "insar_decomposition"
    old.mkdir(parents=True)
    (old / "metadata.txt").write_text("version=0.1\n")
    said = install_plugin.install(str(tmp_path / "src"), str(plugins), stamp="T")
    aside = tmp_path / "profile" / "python" / "insar_decomposition.replaced-T"
    assert (aside / "metadata.txt").read_text() == "version=0.1\n"  # kept, out of QGIS's way
    assert os.listdir(plugins) == ["insar_decomposition"] and os.path.islink(old)
    assert f"moved the plugin folder that was there (an older install QGIS would have kept running) to {aside}" in said


def test_a_link_to_another_checkout_is_replaced_and_said(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    os.symlink(str(tmp_path / "other"), plugins / "insar_decomposition")
    said = install_plugin.install(str(tmp_path / "src"), str(plugins))
    assert said.startswith(f"replaced the link to {tmp_path / 'other'}")
    assert os.readlink(plugins / "insar_decomposition") == str(tmp_path / "src")
