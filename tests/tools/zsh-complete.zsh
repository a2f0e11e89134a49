# zsh -f zsh-complete.zsh FOLDER LINE
#
# Prints, one per line, each match that zsh's completion system offers on a
# tab at the end of LINE, with the completion functions of FOLDER loaded:
# a real interactive zsh in a pseudo-terminal (zsh/zpty), whose compadd
# also writes what it adds to a file.
folder=$1 line=$2
zmodload zsh/zpty || exit 1
work=$(mktemp -d)
cat > $work/setup.zsh <<'SETUP'
fpath=($folder $fpath)
PROMPT=''
autoload -Uz compinit && compinit -u -D
compadd () {
  if (( ${@[(I)-[OAD]*]} )); then builtin compadd "$@"; return; fi
  local -a found
  builtin compadd -O found "$@"
  print -rl -- $found >> $work/matches
  builtin compadd "$@"
}
complete_and_mark () { zle complete-word; print -n '<<DONE''>>'; }
zle -N complete_and_mark
bindkey '^I' complete_and_mark
SETUP
touch $work/matches
zpty shell env folder=$folder work=$work zsh -f -i
zpty -w shell "source $work/setup.zsh"
zpty -w shell "$line"$'\t'
zpty -r -m shell ignored '*<<DONE>>*' || { print -u2 "zsh never finished the completion"; exit 1 }
zpty -d shell
cat $work/matches
rm -rf $work
